"""What the firm makes, and what follows from it: its product profile (HS codes,
end use, family, finest ICIO sector), the public evidence of where the product
sells, and the import rules that bar or gate a market for it."""

from recommender.products.evidence import ProductCitation, product_evidence
from recommender.products.profile import ProductProfile, district_families, product_for
from recommender.products.rules import ProductRule, banned_markets, rules_for

__all__ = ["ProductCitation", "ProductProfile", "ProductRule", "banned_markets", "district_families",
           "product_evidence", "product_for", "rules_for"]
