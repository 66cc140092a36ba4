"""Reports as numbers: /stats figures, deadline keeping (on-time rates), the daily digest's counts."""
