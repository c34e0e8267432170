"""Exercise 6, a character-level language model: drawing the next character, generating text, one training step.

These cases call rnnlib on purpose (the model's forward pass, its gradients, the optimizers), as the notebook
does: the functions under test are the sampling and the training step around them. They use only what a graded
kernel of this exercise can import (rnngrade.kernel_view); the cases of the other exercises need no rnnlib, which
their graded kernels cannot import. The mistakes are the code a student might write in the notebook, where
`forward`, `zero_state` and `loss_and_grads` come from rnnlib.charlm and `clip_by_global_norm` from rnnlib.optim.
"""

import numpy as np

from .. import properties
from ..draw import lstm_params, normal
from ..exercise import Exercise, WrongResult, variant

EXERCISE = Exercise("ex06_char_lm")

EXERCISE.grade("sample_next", points=4)
EXERCISE.grade("generate", points=3)
EXERCISE.grade("train_step", points=3)


def _softmax_rows(a):
    """The case's own softmax, so that what a sampler is judged against does not come from the student."""
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _ids(ids, shape, K, what):
    """ids as an int array of `shape` with values in 0..K-1, or WrongResult saying what is wrong."""
    ids = np.asarray(ids)
    if ids.shape != shape:
        raise WrongResult(f"returned {what} of shape {ids.shape}, expected {shape}")
    if ids.size and not (np.all(ids == np.round(ids)) and ids.min() >= 0 and ids.max() < K):
        raise WrongResult(f"returned {what} that are not all whole numbers from 0 to {K - 1}")
    if ids.dtype.kind not in "iu":
        raise WrongResult(f"returned {what} as an array of {ids.dtype}: ids are integers, return an int array")
    return ids.astype(np.int64)


@EXERCISE.case("sample_next", judge=properties.judge_draws, resembles=properties.resembles_draws)
def _sample_next(rng, fns, B, K, R, temperature, scale=2.0):
    """R draws from each of B distributions, in one call of N = B * R rows; then the same call again with a
    Generator in the same state. Outputs the counts per row and id, not the ids, to keep them small; and whether
    the call changed the logits it was given."""
    logits = normal(rng, B, K, scale=scale)
    seed = int(rng.integers(2**32))
    # on purpose: a sampler that wrongly uses np.random's global state then fails the same way every run
    np.random.seed(seed)  # noqa: NPY002
    rows = np.repeat(logits, R, axis=0)
    given = rows.copy()
    ids = _ids(fns.sample_next(given, temperature, np.random.default_rng(seed)), (B * R,), K, "ids")
    again = _ids(fns.sample_next(rows.copy(), temperature, np.random.default_rng(seed)), (B * R,), K, "ids")
    counts = np.stack([np.bincount(ids[b * R:(b + 1) * R], minlength=K) for b in range(B)])
    return {"counts": counts, "reproducible": float(np.array_equal(ids, again)),
            "input_changed": float(not np.array_equal(given, rows)), "probs": _softmax_rows(logits / temperature)}


def _char_model(rng, K, H, L):
    """A character model in rnnlib.charlm's layout, float64, with weights large enough to be far from uniform."""
    layers = [lstm_params(rng, K if l == 0 else H, H) for l in range(L)]
    return {"layers": layers, "V": normal(rng, K, H), "c": normal(rng, K)}


def _flat(model):
    """Every parameter of a character model in one vector (layers bottom first, keys sorted; then V, c)."""
    parts = [layer[key].ravel() for layer in model["layers"] for key in sorted(layer)]
    return np.concatenate(parts + [model["V"].ravel(), model["c"].ravel()])


def _unflat(vector, K, H, L):
    """The model _flat came from, given its sizes."""
    model, at = {"layers": []}, 0

    def take(*shape):
        nonlocal at
        size = int(np.prod(shape))
        at += size
        return vector[at - size:at].reshape(shape)

    for l in range(L):
        D = K if l == 0 else H
        model["layers"].append({key: take(H, H + D) if key.startswith("W") else take(H)
                                for key in sorted(f"{w}_{g}" for w in "Wb" for g in "fiCo")})
    model["V"], model["c"] = take(K, H), take(K)
    return model


@EXERCISE.case("generate", trap=("rnnlib.charlm.generate", "rnnlib.charlm.sample"))
def _generate(rng, fns, K, H, L, P, n, temperature):
    """generate with a sampler that records what it is given and draws by the inverse CDF from the rng it is
    given: the ids then depend on the model, the state and the feedback alone, and can be compared exactly."""
    model, prime = _char_model(rng, K, H, L), rng.integers(K, size=P)
    calls = []

    def recording_sampler(logits, temperature, rng):
        logits = np.asarray(logits, dtype=np.float64).reshape(-1, K)
        calls.append(np.append(logits[0], temperature))
        p = _softmax_rows(logits / temperature)
        return np.minimum(np.sum(np.cumsum(p, axis=1) <= rng.random((len(p), 1)), axis=1), K - 1)

    ids = fns.generate(model, prime.copy(), n, temperature, np.random.default_rng(int(rng.integers(2**32))),
                       recording_sampler)
    # sampler_calls: one row per call, the logits it was given and then the temperature
    return {"ids": _ids(ids, (n,), K, "ids"), "sampler_calls": np.array(calls).reshape(-1, K + 1)}


_TRAIN = ("rnnlib.charlm.train_step", "rnnlib.charlm.train")


@EXERCISE.case("train_step", trap=_TRAIN)
def _train_step(rng, fns, K, H, L, N, T, max_norm):
    """One step with plain SGD, whose update is -lr times the gradients it gets: it shows whether they were
    clipped. The states come in non-zero, as from the window before."""
    from rnnlib.optim import SGD

    model = _char_model(rng, K, H, L)
    xs, ys = rng.integers(K, size=(2, T, N))
    h0, C0 = normal(rng, L, N, H), normal(rng, L, N, H)
    before = _flat(model)
    loss, h_n, C_n = fns.train_step(model, SGD(lr=0.1), xs, ys, h0.copy(), C0.copy(), max_norm)
    return {"loss": loss, "h_n": h_n, "C_n": C_n, "update": _flat(model) - before}


def _text_loss(model, text):
    from rnnlib.charlm import evaluate

    return evaluate(model, text, N=1, T=len(text) - 1)


def _judge_learning(got, expected):
    K, H, L = (int(v) for v in expected["sizes"])
    text = expected["text"].astype(np.int64)
    return properties.judge_learning(got, expected, lambda params: _text_loss(_unflat(params, K, H, L), text))


@EXERCISE.case("train_step_learns", function="train_step", judge=_judge_learning, trap=_TRAIN)
def _train_step_learns(rng, fns, K, H, L, period, steps, N=2, T=8):
    """`steps` calls of train_step with Adam on a text that repeats a random pattern, the state carried from
    window to window as in rnnlib.charlm.train; the judge measures the trained model's loss itself."""
    from rnnlib.optim import Adam
    from rnnlib.text import tbptt_batches

    model = {"layers": [{k: 0.3 * v for k, v in p.items()} for p in _char_model(rng, K, H, L)["layers"]],
             "V": normal(rng, K, H, scale=0.3), "c": np.zeros(K)}
    text = np.tile(rng.integers(K, size=period), 40)
    initial_loss = _text_loss(model, text)
    adam, losses = Adam(lr=0.05), []
    batches, h, C = tbptt_batches(text, N, T), np.zeros((L, N, H)), np.zeros((L, N, H))
    for _ in range(steps):
        xs, ys = next(batches, (None, None))
        if xs is None:  # the text is used up: start over, from a fresh state
            batches, h, C = tbptt_batches(text, N, T), np.zeros((L, N, H)), np.zeros((L, N, H))
            xs, ys = next(batches)
        loss, h, C = fns.train_step(model, adam, xs, ys, h, C, 5.0)
        losses.append(loss)
    return {"losses": np.array(losses, dtype=np.float64), "params": _flat(model), "text": text,
            "sizes": np.array([K, H, L]), "initial_loss": initial_loss, "final_loss": _text_loss(model, text)}


# --- grader only: references and mistakes (a graded kernel sees this module cut here) ---
EXERCISE.reference("sample_next", "rnnlib.charlm.sample_next")
EXERCISE.reference("generate", "rnnlib.charlm.generate")
EXERCISE.reference("train_step", "rnnlib.charlm.train_step")

_PREAMBLE = '''
from rnnlib.charlm import forward, loss_and_grads, zero_state
from rnnlib.optim import clip_by_global_norm
'''

# Drawing the next id ---------------------------------------------------------------------------------------
_SAMPLE = '''
def sample_next(logits, temperature, rng):
    z = {scaled}
    z = z - {shift}
    p = np.exp(z) / np.sum(np.exp(z), axis={axis}, keepdims=True)
    return {draw}
'''
_sample = variant(_SAMPLE, {"scaled": "logits / temperature", "shift": "np.max(z, axis=1, keepdims=True)",
                            "axis": "1", "draw": "np.array([rng.choice(len(row), p=row) for row in p])"})

EXERCISE.mistake("sample_next",
                 "divide the logits by the temperature: a temperature below 1 must sharpen the distribution, above 1 "
                 "flatten it",
                 _sample(scaled="logits * temperature"))
EXERCISE.mistake("sample_next",
                 "draw with the rng you are given (rng.choice or rng.random): np.random's global functions ignore "
                 "it, so the same seed does not give the same text",
                 _sample(draw="np.array([np.random.choice(len(row), p=row) for row in p])"))
EXERCISE.mistake("sample_next",
                 "each ROW of logits is one distribution: normalise over axis=1 (the K ids), not over axis=0",
                 _sample(shift="np.max(z, axis=0, keepdims=True)", axis="0"))
EXERCISE.mistake("sample_next",
                 "subtract each row's maximum before np.exp: exp of a large logit overflows to inf, and inf / inf "
                 "is NaN",
                 _sample(shift="0"))
EXERCISE.mistake("sample_next",
                 "draw at random from the distribution: always taking the most likely id (argmax) is not sampling",
                 _sample(draw="np.argmax(p, axis=1)"))
EXERCISE.mistake("sample_next",
                 "sample_next changed the logits it was given: after z = logits, z /= temperature divides the "
                 "caller's array in place (both names are one array); write z = logits / temperature, a new array",
                 _sample(scaled="logits\n    z /= temperature"))

# Generating ------------------------------------------------------------------------------------------------
_GENERATE = _PREAMBLE + '''
def generate(model, prime_ids, n, temperature, rng, sample_next):
    h, C = zero_state(model, 1)
    logits, (h, C), _ = forward(model, {prime}, h, C)
    out = []
    for _ in range(n):
        next_id = int(sample_next(logits[-1], {temperature}, rng)[0])
        out.append(next_id)
        logits, (h, C), _ = forward(model, np.array([[{fed_back}]]), {state})
    return np.array(out)
'''
_generate = variant(_GENERATE, {"prime": "np.asarray(prime_ids).reshape(-1, 1)", "temperature": "temperature",
                                "fed_back": "next_id", "state": "h, C"})

EXERCISE.mistake("generate",
                 "feed the id you just drew back in as the next input: the model must read its own text",
                 _generate(fed_back="prime_ids[-1]"))
EXERCISE.mistake("generate",
                 "carry the states h, C from step to step: starting every step from zero states forgets the text so "
                 "far",
                 _generate(state="*zero_state(model, 1)"))
EXERCISE.mistake("generate",
                 "read the whole prime before drawing: the first draw should depend on every character of prime_ids",
                 _generate(prime="np.asarray(prime_ids)[-1:].reshape(-1, 1)"))
EXERCISE.mistake("generate",
                 "pass the temperature you are given on to sample_next",
                 _generate(temperature="1.0"))
EXERCISE.mistake("generate",
                 "np.zeros(n) is an array of floats: make the ids' array with dtype=np.int64 (np.zeros(n, "
                 "dtype=np.int64)), or collect them in a list and return np.array(list)",
                 _PREAMBLE + '''
def generate(model, prime_ids, n, temperature, rng, sample_next):
    h, C = zero_state(model, 1)
    logits, (h, C), _ = forward(model, np.asarray(prime_ids).reshape(-1, 1), h, C)
    out = np.zeros(n)
    for t in range(n):
        out[t] = sample_next(logits[-1], temperature, rng)[0]
        logits, (h, C), _ = forward(model, np.array([[int(out[t])]]), h, C)
    return out
''')

# One training step -----------------------------------------------------------------------------------------
_TRAIN_STEP = _PREAMBLE + '''
def train_step(model, optimizer, xs, ys, h0, C0, max_norm):
    loss, grads, (h_n, C_n) = loss_and_grads(model, xs, ys, h0, C0)
    {clip}
    {update}
    {after}
    return loss, {state}
'''
_train_step = variant(_TRAIN_STEP, {"clip": "grads, _ = clip_by_global_norm(grads, max_norm)",
                                    "update": "optimizer.step(model, grads)", "after": "", "state": "h_n, C_n"})

EXERCISE.mistake("train_step",
                 "return the final states h_n, C_n: the next window starts where this one ended (the incoming h0, C0 "
                 "are this window's start)",
                 _train_step(state="h0, C0"))
EXERCISE.mistake("train_step",
                 "clip the gradients with clip_by_global_norm(grads, max_norm) before the update",
                 _train_step(clip="pass"))
EXERCISE.mistake("train_step",
                 "clip by the global norm, which scales all gradients together and keeps their direction; np.clip "
                 "caps each entry on its own",
                 _train_step(clip="grads = {'layers': [{k: np.clip(g, -max_norm, max_norm) for k, g in "
                             "layer.items()} for layer in grads['layers']], 'V': np.clip(grads['V'], -max_norm, "
                             "max_norm), 'c': np.clip(grads['c'], -max_norm, max_norm)}"))
EXERCISE.mistake("train_step",
                 "return the loss computed before the update, on the model that made the predictions",
                 _train_step(after="loss = loss_and_grads(model, xs, ys, h0, C0)[0]"))
EXERCISE.mistake("train_step",
                 "update the model with optimizer.step(model, grads): without it the model never changes",
                 _train_step(update="pass"))
