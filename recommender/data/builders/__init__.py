"""One builder per group of derived tables.

A builder is a function ``build(raw_dir, built) -> dict[table name, DataFrame]``
where ``built`` holds the tables already produced by earlier builders (e.g.
districts validate their provinces against the provinces table). They run in
the order listed here.
"""

BUILDERS: list[tuple[str, str]] = [
    # (label shown in the progress bar, "module:function")
    ("countries", "recommender.data.builders.countries:build"),
    ("flows", "recommender.data.builders.flows:build"),
    ("sectors", "recommender.data.builders.sectors:build"),
    ("product profiles", "recommender.data.builders.products:build"),
    ("provinces", "recommender.data.builders.provinces:build"),
    ("districts", "recommender.data.builders.districts:build"),
    ("district_destinations", "recommender.data.builders.district_destinations:build"),
    ("product evidence", "recommender.data.builders.product_evidence:build"),
    ("restricted markets", "recommender.data.builders.restricted:build"),
    ("channels", "recommender.data.builders.channels:build"),
    ("exchange rates", "recommender.data.builders.exchange_rates:build"),
]
