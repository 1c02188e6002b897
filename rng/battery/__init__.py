"""The statistical battery: tests that take bits or draws and return P-values.

One module per idea: `bits` (how a sequence is held and counted), `special`
(incomplete gamma and normal tails), `nist` (the SP 800-22 tests), `suite`
(those tests with parameters chosen by length), `chi_square`, `correlation`,
`proportion` (NIST's second-level checks over many sequences) and `result`
(the shape every test reports in). Pure: no I/O, no randomness of its own.
"""
