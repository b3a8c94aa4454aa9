"""The order-intent record: fixed layout, 'absent' defaults, usable from compiled code."""

import numba as nb
import numpy as np

from nts.runtime import intents as it


def test_buffer_defaults_mean_absent():
    buf = it.intent_buffer(4)
    assert buf.dtype == it.INTENT_DTYPE and len(buf) == 4
    for name in ("price", "trigger", "trail", "stop_loss", "take_profit"):
        assert np.isnan(buf[name]).all()
    for name in ("tag", "oco", "instrument"):
        assert (buf[name] == it.NO_ID).all()
    assert (buf["qty"] == 0).all() and (buf["seq"] == 0).all()


def test_compiled_code_writes_intents_without_objects():
    @nb.njit
    def write_bracket(buf, n, qty, entry, sl, tp):
        rec = buf[n]
        rec.action = it.ACTION_ORDER
        rec.instrument = 0
        rec.side = it.SIDE_BUY
        rec.qty = qty
        rec.order_type = it.TYPE_LIMIT
        rec.price = entry
        rec.stop_loss = sl
        rec.take_profit = tp
        rec.tif = it.TIF_GTD
        rec.expire_after = 3 * 86_400_000_000_000
        return n + 1

    buf = it.intent_buffer(2)
    assert write_bracket(buf, 0, 10.0, 100.5, 95.0, 110.0) == 1
    rec = buf[0]
    fields = ("side", "qty", "price", "stop_loss", "take_profit")
    assert tuple(rec[f] for f in fields) == (1, 10.0, 100.5, 95.0, 110.0)
    assert rec["order_type"] == it.TYPE_LIMIT and rec["tif"] == it.TIF_GTD
    assert np.isnan(buf[1]["price"])
