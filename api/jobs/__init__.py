"""Registry-scoring jobs: a Chamber uploads its registry, a job worker scores it
with the library (recommender.batch, the same run as the CLI), the Chamber
polls and downloads a compact result and an errors file.

- ``views``: the endpoints (``POST /api/v1/jobs``, ``GET /jobs[/{id}[/result|/errors]]``)
- ``queue``: the jobs table as a queue (claim with a lease, renew, finish, expire)
- ``worker``: the worker loop (``flask --app api jobs worker``)
- ``files``: where a job's files live under JOBS_DIR
- ``cli``: the ``flask jobs`` commands
"""
