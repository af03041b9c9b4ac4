"""The seed streams: every random draw of a run's training is a function of its seed and of
one of these.

NumPy's ``default_rng`` takes a sequence of integers as its seed, so draws for different
purposes get independent generators from one user seed by a key per purpose:

- initial weights of member m: ``[seed, m]`` (:func:`weights_key`: ``[seed, m, WIDE_SEED_STREAM]``
  for a seed of more than 32 bits);
- batch orders of member m: ``[seed, m, ORDER_STREAM]`` (one generator, a permutation per epoch);
- Fourier frequencies of the preprocessing: ``[seed, FOURIER_STREAM]``;
- the generated moons of ``glassnet train moons``: ``[seed, MOONS_STREAM]``.

The split is drawn from a seed of its own, ``SplitSettings.seed``, with ``default_rng(seed)``:
``train_airfoil`` and ``train_moons`` give it the run's seed, and since NumPy pads a seed
sequence with zeros, ``default_rng(seed)`` is the generator of ``[seed, 0]``, member 0's
initial weights. The split's permutation and those weights share their bits, which ties
nothing between them that a split or an initialisation depends on; keying the split by a
stream of its own would change every split measured so far (docs/airfoil.md's among them),
so it stays.

The stream constants spell their purpose in ASCII; the seed itself is an integer in
[0, ``glassnet._checks.MAX_SEED``].
"""

ORDER_STREAM = 0x4F52444552  # "ORDER"
FOURIER_STREAM = 0x464F55524945  # "FOURIE"
MOONS_STREAM = 0x4D4F4F4E53  # "MOONS"
WIDE_SEED_STREAM = 0x57494445  # "WIDE"


def weights_key(seed: int, member: int) -> list[int]:
    """The seed key of member m's initial weights: ``[seed, m]``, and for a seed of more than 32
    bits ``[seed, m, WIDE_SEED_STREAM]``. NumPy reads each integer of a key as its 32-bit words
    and pads a key with zero words, so ``[a + 2³² b, 0]``, the words ``[a, b, 0]``, was the key
    ``[a, b]`` of seed a's member b: two seeds' members started from the same weights. Seeds
    below 2³² keep their key, and every weight drawn with it."""
    return [seed, member] if seed < 2**32 else [seed, member, WIDE_SEED_STREAM]
