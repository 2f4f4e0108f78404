"""What each report says, one module per notebook, named after it: readings, titles, notes,
column formats and labels, and the key figures it records. The analyses compute; a page module
turns their frames into a report's words, with the dataset's currency."""
