"""Correct versions of earlier exercises' functions, given so that later exercises can build on them.

`rnncheck.given.ex01` holds what students write in exercise 1 (the RNN forward pass), imported by exercise 2;
`ex02` the numerical gradient of exercise 2, `ex03` the LSTM step of exercise 3 and `ex04` its backward pass,
imported by exercises 4 and 5. Each module holds answers of its own exercise only, so it gives nothing away to
an exercise that comes after it; instructors release the exercises in order. The grader's kernel of an exercise
cannot import the module of that exercise or of a later one (rnngrade.kernel_view).

Plain numpy, nothing from rnnlib: graded kernels of exercises 1-5 cannot import rnnlib.
"""
