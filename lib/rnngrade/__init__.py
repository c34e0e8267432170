"""rnngrade: the instructor's side of grading. It runs outside the students' kernels and trusts none of them.

    reference   the functions the exercises ask for, from rnnlib, as the exercises' modules (rnncheck.exercises) declare
    mistakes    plausible student mistakes, each as code with a hint, declared there too: for feedback and for the
                proofs in tests/
    verify      decides a test cell from the outputs its checks published, against the reference
    nbgrader    the preprocessor that nbgrader_config.py puts into `nbgrader autograde`
    sanitize    cleans what a graded notebook shows (cleanhtml: the HTML and SVG allowed), flags active content
"""
