"""The columns of registry scoring's two files, as Arrow schemas (pyarrow only:
the process that reads the input and writes the output never needs the engine).

Results, one row per firm and recommended market; errors, one row per
rejected field. The fields of :meth:`Recommender.recommend_compact` in the
middle of the results (recommender.batch.score checks they match).
"""

import pyarrow as pa

from recommender import columns as C

COMPACT_TYPES = {C.RANK: pa.int16(), C.MARKET: pa.string(), C.MARKET_NAME: pa.string(), C.SCORE: pa.float64(),
                 C.PEERS: pa.float64(), C.FORECAST: pa.float64(), C.UNREALISED: pa.float64(),
                 C.EVIDENCE: pa.float64(), C.PRODUCT: pa.float64(), C.HORIZON: pa.string(), C.NEEDS_LEVEL: pa.int8(), C.STATUS: pa.string(),
                 C.RESTRICTION: pa.string(), C.CHANNELS: pa.string()}
RESULT_SCHEMA = pa.schema([(C.ROW, pa.int64()), (C.NAME, pa.string()), *COMPACT_TYPES.items(),
                           (C.MODEL_VERSION, pa.string())])
ERRORS_SCHEMA = pa.schema([(C.ROW, pa.int64()), (C.NAME, pa.string()), (C.FIELD, pa.string()),
                           (C.REASON, pa.string()), (C.ERROR_VALUE, pa.string()), (C.SUGGESTIONS, pa.string())])
