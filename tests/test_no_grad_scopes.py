"""`no_grad` covers exactly what it decorates: functions, coroutines, every step of a generator; never the caller."""

import asyncio

import pytest

import autodiff
from autodiff import Value


def records():
    """Whether an op made now records its parents."""
    x = Value(1.0)
    return (x * 2).op is not None


def test_a_decorated_function_runs_without_recording_and_the_caller_records():
    @autodiff.no_grad()
    def inside():
        return records()

    assert inside() is False
    assert records() is True
    assert inside.__name__ == "inside"


def test_a_decorated_generator_runs_every_step_without_recording_and_its_caller_between_steps_records():
    @autodiff.no_grad()
    def steps():
        received = yield records()
        assert received == "sent"
        yield records()
        try:
            yield records()
        except KeyError:
            yield ("thrown", records())
        return "done"

    generator = steps()
    assert records() is True  # making the generator runs none of it
    assert next(generator) is False
    assert records() is True  # the caller, between two steps
    assert generator.send("sent") is False
    assert records() is True
    assert next(generator) is False
    assert generator.throw(KeyError("k")) == ("thrown", False)
    assert records() is True
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value == "done"
    assert records() is True


def test_closing_a_decorated_generator_runs_its_cleanup_without_recording():
    cleanup = []

    @autodiff.no_grad()
    def steps():
        try:
            yield 1
        finally:
            cleanup.append(records())

    generator = steps()
    next(generator)
    generator.close()
    assert cleanup == [False]
    assert records() is True


def test_a_decorated_coroutine_runs_without_recording_and_other_tasks_record():
    @autodiff.no_grad()
    async def inside(seen):
        seen.append(records())
        await asyncio.sleep(0)
        seen.append(records())

    async def outside(seen):
        await asyncio.sleep(0)
        seen.append(records())

    async def both():
        inner, outer = [], []
        await asyncio.gather(inside(inner), outside(outer))
        return inner, outer, records()

    assert asyncio.run(both()) == ([False, False], [True], True)


def test_an_async_generator_cannot_be_decorated():
    async def steps():
        yield records()

    with pytest.raises(TypeError, match="cannot decorate the async generator function steps"):
        autodiff.no_grad()(steps)


def test_a_with_block_in_a_generator_is_refused_instead_of_leaking_to_the_caller():
    def steps():
        with autodiff.no_grad():
            yield records()

    generator = steps()
    with pytest.raises(TypeError, match=r"in the generator steps\(\) would turn recording off for its caller"):
        next(generator)
    assert records() is True


def test_a_with_block_in_an_async_generator_is_refused():
    async def steps():
        with autodiff.no_grad():
            yield records()

    async def first():
        return await steps().__anext__()

    with pytest.raises(TypeError, match="in the generator steps"):
        asyncio.run(first())


def test_nested_and_reused_blocks_restore_recording():
    block = autodiff.no_grad()
    with block:
        with block:
            assert records() is False
        assert records() is False
    assert records() is True
