"""The seed streams: every random draw of a run's training is a function of its seed and of
one of these (the split has its own seed, ``SplitSettings.seed``, the run's by default, drawn
with ``default_rng(seed)``).

NumPy's ``default_rng`` takes a sequence of integers as its seed, so draws for different
purposes get independent generators from one user seed by a key per purpose:

- initial weights of member m: ``[seed, m]``;
- batch orders of member m: ``[seed, m, ORDER_STREAM]`` (one generator, a permutation per epoch);
- Fourier frequencies of the preprocessing: ``[seed, FOURIER_STREAM]``;
- the generated moons of ``glassnet train moons``: ``[seed, MOONS_STREAM]``.

The stream constants spell their purpose in ASCII; the seed itself is an integer in
[0, ``glassnet._checks.MAX_SEED``].
"""

ORDER_STREAM = 0x4F52444552  # "ORDER"
FOURIER_STREAM = 0x464F55524945  # "FOURIE"
MOONS_STREAM = 0x4D4F4F4E53  # "MOONS"
