"""A fixed-size window of the last values, laid out in a state block: [count, head, v0 .. v(n-1)]."""


from ...runtime.jit import hot

RING_HEADER = 2


@hot
def ring_size(n):
    return RING_HEADER + n


@hot
def ring_reset(st, o, n):
    st[o] = 0.0
    st[o + 1] = 0.0
    for i in range(n):
        st[o + RING_HEADER + i] = 0.0


@hot
def ring_push(st, o, n, x):
    """Append `x`; returns the value that fell out of the window (NaN while the window is filling)."""
    head = int(st[o + 1])
    slot = o + RING_HEADER + head
    count = st[o]
    old = st[slot] if count >= n else float("nan")
    st[slot] = x
    st[o + 1] = (head + 1) % n
    if count < n:
        st[o] = count + 1
    return old


@hot
def ring_count(st, o):
    return int(st[o])


@hot
def ring_get(st, o, n, ago):
    """The value `ago` updates back (0 = the newest); the caller keeps ago < count."""
    head = int(st[o + 1])
    return st[o + RING_HEADER + (head - 1 - ago) % n]
