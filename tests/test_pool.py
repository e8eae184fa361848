"""The worker pool of the statistics and the evaluation: one Ctrl-C stops it, whenever it comes."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from vixray_data import pool as pool_module


def test_a_ctrl_c_while_the_workers_are_forked_is_not_lost(monkeypatch):
    real = multiprocessing.get_context("fork")
    made = []

    class Context:
        def Pool(self, processes, initializer):  # noqa: N802 - multiprocessing's name
            os.kill(os.getpid(), signal.SIGINT)  # the terminal's Ctrl-C, in the middle of forking
            made.append(real.Pool(processes, initializer=initializer))
            return made[-1]

    monkeypatch.setattr(pool_module.multiprocessing, "get_context", lambda method: Context())
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, whatever started pytest
    try:
        with pytest.raises(KeyboardInterrupt), pool_module.process_pool(2):
            pytest.fail("the block ran although Ctrl-C was pressed before it")
        assert made and all(not p.is_alive() for p in made[0]._pool)  # the workers were ended
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the usual handler is back
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_command_started_with_ctrl_c_ignored_keeps_ignoring_it(monkeypatch):
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # started in the background by a shell
    try:
        with pool_module.process_pool(2) as workers:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert workers.map(abs, [-1]) == [1]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_workers_ignore_ctrl_c_and_the_pool_gives_results():
    with pool_module.process_pool(2) as workers:
        assert workers.map(abs, [-1, -2, 3]) == [1, 2, 3]
        handlers = workers.map(_sigint_handler, range(2))
    assert set(handlers) == {"ignored"}


def _sigint_handler(_: int) -> str:
    return "ignored" if signal.getsignal(signal.SIGINT) is signal.SIG_IGN else "not ignored"
