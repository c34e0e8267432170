"""Mistakes in ex06_char_lm: drawing the next character, generating text, one training step.

The sources are the code a student might write in the notebook, where `forward`, `zero_state` and
`loss_and_grads` come from rnnlib.charlm and `clip_by_global_norm` from rnnlib.optim, as there.
"""

from . import mistake, variant

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
_SAMPLE_RIGHT = {"scaled": "logits / temperature", "shift": "np.max(z, axis=1, keepdims=True)", "axis": "1",
                 "draw": "np.array([rng.choice(len(row), p=row) for row in p])"}

_sample = variant(_SAMPLE, _SAMPLE_RIGHT)

mistake("sample_next",
        "divide the logits by the temperature: a temperature below 1 must sharpen the distribution, above 1 "
        "flatten it",
        _sample(scaled="logits * temperature"))
mistake("sample_next",
        "draw with the rng you are given (rng.choice or rng.random): np.random's global functions ignore it, "
        "so the same seed does not give the same text",
        _sample(draw="np.array([np.random.choice(len(row), p=row) for row in p])"))
mistake("sample_next",
        "each ROW of logits is one distribution: normalise over axis=1 (the K ids), not over axis=0",
        _sample(shift="np.max(z, axis=0, keepdims=True)", axis="0"))
mistake("sample_next",
        "subtract each row's maximum before np.exp: exp of a large logit overflows to inf, and inf / inf is NaN",
        _sample(shift="0"))
mistake("sample_next",
        "draw at random from the distribution: always taking the most likely id (argmax) is not sampling",
        _sample(draw="np.argmax(p, axis=1)"))

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
_GENERATE_RIGHT = {"prime": "np.asarray(prime_ids).reshape(-1, 1)", "temperature": "temperature",
                   "fed_back": "next_id", "state": "h, C"}

_generate = variant(_GENERATE, _GENERATE_RIGHT)

mistake("generate",
        "feed the id you just drew back in as the next input: the model must read its own text",
        _generate(fed_back="prime_ids[-1]"))
mistake("generate",
        "carry the states h, C from step to step: starting every step from zero states forgets the text so far",
        _generate(state="*zero_state(model, 1)"))
mistake("generate",
        "read the whole prime before drawing: the first draw should depend on every character of prime_ids",
        _generate(prime="np.asarray(prime_ids)[-1:].reshape(-1, 1)"))
mistake("generate",
        "pass the temperature you are given on to sample_next",
        _generate(temperature="1.0"))

# One training step -----------------------------------------------------------------------------------------
_TRAIN_STEP = _PREAMBLE + '''
def train_step(model, optimizer, xs, ys, h0, C0, max_norm):
    loss, grads, (h_n, C_n) = loss_and_grads(model, xs, ys, h0, C0)
    {clip}
    {update}
    {after}
    return loss, {state}
'''
_TRAIN_STEP_RIGHT = {"clip": "grads, _ = clip_by_global_norm(grads, max_norm)",
                     "update": "optimizer.step(model, grads)", "after": "", "state": "h_n, C_n"}

_train_step = variant(_TRAIN_STEP, _TRAIN_STEP_RIGHT)

mistake("train_step",
        "return the final states h_n, C_n: the next window starts where this one ended (the incoming h0, C0 "
        "are this window's start)",
        _train_step(state="h0, C0"))
mistake("train_step",
        "clip the gradients with clip_by_global_norm(grads, max_norm) before the update",
        _train_step(clip="pass"))
mistake("train_step",
        "clip by the global norm, which scales all gradients together and keeps their direction; np.clip "
        "caps each entry on its own",
        _train_step(clip="grads = {'layers': [{k: np.clip(g, -max_norm, max_norm) for k, g in layer.items()} "
                         "for layer in grads['layers']], 'V': np.clip(grads['V'], -max_norm, max_norm), "
                         "'c': np.clip(grads['c'], -max_norm, max_norm)}"))
mistake("train_step",
        "return the loss computed before the update, on the model that made the predictions",
        _train_step(after="loss = loss_and_grads(model, xs, ys, h0, C0)[0]"))
mistake("train_step",
        "update the model with optimizer.step(model, grads): without it the model never changes",
        _train_step(update="pass"))
