"""Views of the deal board, by page: board (and deal page), actions (one POST per move),
arbitration, calendar (and free slots)."""
