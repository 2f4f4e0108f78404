"""What runs outside the notebooks: the runner (``spm run``), the page renderer, the index and
its templates, and the command line (``spm``)."""
