"""The test kit: isolated runs of the whole pipeline on the local stack, for tests and benchmarks.

Not production code: no package of the product imports it and the job does not ship it.
"""
