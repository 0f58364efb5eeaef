# Django's Vietnamese formats set "." as thousand separator but no grouping: 1.250.000 ₫ is usual.
NUMBER_GROUPING = 3
