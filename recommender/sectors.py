"""The harmonised sector key shared by both flow sources and the model.

WIOD 2013 (ISIC Rev.3, 35 sectors) is coarser than OECD ICIO (ISIC Rev.4, 50
sectors). Following the data README, where one WIOD sector covers several ICIO
sectors we use their common parent rather than splitting flows with invented
weights. The result is 15 *model sectors* covering agriculture, mining and
manufacturing: the tradable goods the model ranks markets for. Services are
not modelled.
"""

from __future__ import annotations

# ICIO 2022 sector code -> model sector
ICIO_TO_MODEL: dict[str, str] = {
    "A01": "A01T03", "A02": "A01T03", "A03": "A01T03",
    "B05": "B05T09", "B06": "B05T09", "B07": "B05T09", "B08": "B05T09", "B09": "B05T09",
    "C10T12": "C10T12",
    "C13T15": "C13T15",
    "C16": "C16",
    "C17_18": "C17_18",
    "C19": "C19",
    "C20": "C20T21", "C21": "C20T21",
    "C22": "C22",
    "C23": "C23",
    "C24A": "C24T25", "C24B": "C24T25", "C25": "C24T25",
    "C26": "C26T27", "C27": "C26T27",
    "C28": "C28",
    "C29": "C29T30", "C301": "C29T30", "C302T309": "C29T30",
    "C31T33": "C31T33",
}

# ICIO 2022's own goods sectors: the finest sector a product is ranked on (peers, unrealised potential,
# buyers' imports); the forecast keeps the model sector, which WIOD can follow back to 1995
FINE_SECTORS: tuple[str, ...] = tuple(ICIO_TO_MODEL)

# ICIO 2022 goods sector -> (Italian name, English name)
FINE_SECTOR_NAMES: dict[str, tuple[str, str]] = {
    "A01": ("Agricoltura", "Crop and animal production"),
    "A02": ("Silvicoltura", "Forestry and logging"),
    "A03": ("Pesca e acquacoltura", "Fishing and aquaculture"),
    "B05": ("Estrazione di carbone", "Mining of coal and lignite"),
    "B06": ("Estrazione di petrolio e gas", "Extraction of crude petroleum and natural gas"),
    "B07": ("Estrazione di minerali metalliferi", "Mining of metal ores"),
    "B08": ("Altre attività estrattive (pietre, cave)", "Other mining and quarrying"),
    "B09": ("Servizi di supporto all'estrazione", "Mining support service activities"),
    "C10T12": ("Alimentari, bevande e tabacco", "Food products, beverages and tobacco"),
    "C13T15": ("Tessile, abbigliamento, pelle e calzature", "Textiles, apparel, leather and footwear"),
    "C16": ("Legno e prodotti in legno", "Wood and products of wood and cork"),
    "C17_18": ("Carta e stampa", "Paper products and printing"),
    "C19": ("Coke e prodotti petroliferi raffinati", "Coke and refined petroleum products"),
    "C20": ("Prodotti chimici", "Chemicals and chemical products"),
    "C21": ("Prodotti farmaceutici", "Pharmaceutical products"),
    "C22": ("Gomma e materie plastiche", "Rubber and plastic products"),
    "C23": ("Minerali non metalliferi (ceramica, vetro, pietra)", "Other non-metallic mineral products"),
    "C24A": ("Siderurgia", "Basic iron and steel"),
    "C24B": ("Metalli preziosi e non ferrosi", "Basic precious and other non-ferrous metals"),
    "C25": ("Prodotti in metallo", "Fabricated metal products"),
    "C26": ("Computer, elettronica e ottica", "Computer, electronic and optical products"),
    "C27": ("Apparecchiature elettriche", "Electrical equipment"),
    "C28": ("Macchinari e apparecchiature", "Machinery and equipment n.e.c."),
    "C29": ("Autoveicoli e rimorchi", "Motor vehicles, trailers and semi-trailers"),
    "C301": ("Navi e imbarcazioni", "Building of ships and boats"),
    "C302T309": ("Altri mezzi di trasporto", "Other transport equipment"),
    "C31T33": ("Mobili e altre manifatture (incl. gioielleria, occhiali)", "Furniture and other manufacturing"),
}

# WIOD 2013 sector (c1..c16) -> model sector; c17..c35 are services, not modelled.
WIOD_TO_MODEL: dict[str, str] = {
    "c1": "A01T03", "c2": "B05T09", "c3": "C10T12", "c4": "C13T15", "c5": "C13T15",
    "c6": "C16", "c7": "C17_18", "c8": "C19", "c9": "C20T21", "c10": "C22",
    "c11": "C23", "c12": "C24T25", "c13": "C28", "c14": "C26T27", "c15": "C29T30",
    "c16": "C31T33",
}

# model sector -> (Italian name, English name)
MODEL_SECTOR_NAMES: dict[str, tuple[str, str]] = {
    "A01T03": ("Agricoltura, silvicoltura e pesca", "Agriculture, forestry and fishing"),
    "B05T09": ("Estrazione di minerali", "Mining and quarrying"),
    "C10T12": ("Alimentari, bevande e tabacco", "Food, beverages and tobacco"),
    "C13T15": ("Tessile, abbigliamento, pelle e calzature", "Textiles, apparel, leather and footwear"),
    "C16": ("Legno e prodotti in legno", "Wood and wood products"),
    "C17_18": ("Carta e stampa", "Paper and printing"),
    "C19": ("Coke e prodotti petroliferi raffinati", "Coke and refined petroleum"),
    "C20T21": ("Chimica e farmaceutica", "Chemicals and pharmaceuticals"),
    "C22": ("Gomma e materie plastiche", "Rubber and plastics"),
    "C23": ("Minerali non metalliferi (ceramica, vetro, pietra)", "Non-metallic minerals (ceramics, glass, stone)"),
    "C24T25": ("Metallurgia e prodotti in metallo", "Basic metals and fabricated metal products"),
    "C26T27": ("Elettronica e apparecchiature elettriche", "Electronics and electrical equipment"),
    "C28": ("Macchinari e apparecchiature", "Machinery and equipment"),
    "C29T30": ("Mezzi di trasporto", "Transport equipment"),
    "C31T33": ("Mobili e altre manifatture (incl. gioielleria)", "Furniture and other manufacturing (incl. jewellery)"),
}

MODEL_SECTORS: tuple[str, ...] = tuple(MODEL_SECTOR_NAMES)

# Sectors whose output is mostly capital goods: B2B customers buy them as
# investment (GFCF), so the recommender adds the investment demand type.
CAPITAL_GOODS_SECTORS: frozenset[str] = frozenset({"C28", "C26T27", "C29T30"})
