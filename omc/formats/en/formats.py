# English pages show ISO dates (2026-11-22, 2026-11-22 14:05), readable across Asia and Europe
# and what the pages showed before they were localized; other languages use Django's formats.
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
