"""The Excel template round trip: a reporter downloads its unit's template for a quarter (`template`),
fills it offline, uploads it — checked and read safely before anything else (`upload`) — sees a preview
with every row's errors, and confirms (`preview`). Nothing is written before that confirmation."""
