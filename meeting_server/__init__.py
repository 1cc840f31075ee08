"""Meeting server: province-commune video conferences and paperless meeting rooms."""

__version__ = "0.1.0"
