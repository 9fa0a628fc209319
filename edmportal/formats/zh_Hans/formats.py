# Overrides of Django's zh_Hans formats; everything not set here comes from Django's own.
# Marketers read send counts like 63,250: group by thousands with a comma (Django's default for
# zh_Hans is no separator in groups of four, which `intcomma` would print as 63250).
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
