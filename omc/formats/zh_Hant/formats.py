# Taiwan writes amounts in groups of three with commas (NT$1,234,567), not Django's default
# for zh-Hant (no separator, groups of four).
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
