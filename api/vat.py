"""Italian VAT number (partita IVA): 11 digits with a Luhn-style check digit."""


def is_valid_partita_iva(value: str) -> bool:
    if not isinstance(value, str) or len(value) != 11 or not value.isascii() or not value.isdigit():
        return False
    if value[:7] == "0000000":  # no office assigns a zero serial; 00000000000 passes the check digit
        return False
    digits = [int(c) for c in value]
    odd = sum(digits[0:10:2])
    even = sum(d * 2 - 9 if d * 2 > 9 else d * 2 for d in digits[1:10:2])
    return (10 - (odd + even) % 10) % 10 == digits[10]
