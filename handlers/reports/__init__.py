"""Reports in words and pictures: the /stats text and chart, the daily digest."""
