"""Document generation: invitation PDFs, iCalendar files, and the sandboxed worker pool that renders them."""
