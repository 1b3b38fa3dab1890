"""``flask --app api jobs worker`` (and ``jobs sweep``)."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app


def register(app: Flask) -> None:
    @app.cli.group()
    def jobs():
        """Registry-scoring jobs: the worker that runs them."""

    @jobs.command("worker")
    @click.option("--once", is_flag=True, help="stop when the queue is empty (default: wait for more jobs)")
    def worker(once):
        """Run jobs from the queue until SIGTERM/SIGINT (start more to scale out)."""
        from api.jobs.worker import Worker
        logging.getLogger().setLevel(current_app.config["LOG_LEVEL"])  # create_app() set up the JSON lines
        w = Worker(current_app._get_current_object())
        w.handle_signals()
        n = w.run(once=once)
        click.echo(f"job worker {w.name}: {n} jobs run", err=True)

    @jobs.command("sweep")
    def sweep():
        """Delete the files of jobs past their retention (JOB_RESULT_DAYS) now."""
        from api.jobs.worker import Worker
        click.echo(f"{Worker(current_app._get_current_object()).sweep(force=True)} jobs expired")
