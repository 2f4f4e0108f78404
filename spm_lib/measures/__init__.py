"""Measures: what more than one report shows (metrics, the roster, bookings series, ramp,
ranking, compensation plans). Every question folder may import these; they import none."""
