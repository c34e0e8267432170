"""Where each gradient of a backward function comes from, in the order the backward pass computes it.

When outputs differ and no catalogued mistake explains them, they are listed in this order, each with the
line of the equations that makes it: the first one listed is the first place to look.
"""

FLOW = {
    "rnn_step_backward": [
        ("dW", "δW = δaᵀ s_{t-1}, with δa = δs_t * (1 − s_t²)"),
        ("dU", "δU = δaᵀ x_t"),
        ("db", "δb = δa summed over the batch rows"),
        ("ds_prev", "δs_{t-1} = δa W"),
        ("dx_t", "δx_t = δa U"),
    ],
    "rnn_backward": [
        ("dxs", "dxs[t] = the δx_t of step t, called with dss[t] + the δs_{t-1} step t+1 returned"),
        ("dW", "δW = the sum over t of every step's δW"),
        ("dU", "δU = the sum over t of every step's δU"),
        ("db", "δb = the sum over t of every step's δb"),
        ("ds0", "δs_0 = the δs_{t-1} that the first step (t = 0) returns"),
    ],
    "lstm_step_backward": [
        ("dC_prev", "(b) δC_{t-1} = δC_t * f_t, with (a) δC_t = dC_t + δh_t * o_t * (1 − tanh²(C_t))"),
        ("dW_f", "(d) δW_f = δa_fᵀ z_t, with (c) δa_f = δf_t * f_t (1 − f_t) and (b) δf_t = δC_t * C_{t-1}"),
        ("db_f", "(d) δb_f = δa_f summed over the batch rows"),
        ("dW_i", "(d) δW_i = δa_iᵀ z_t, with (c) δa_i = δi_t * i_t (1 − i_t) and (b) δi_t = δC_t * C̃_t"),
        ("db_i", "(d) δb_i = δa_i summed over the batch rows"),
        ("dW_C", "(d) δW_C = δa_Cᵀ z_t, with (c) δa_C = δC̃_t * (1 − C̃_t²) and (b) δC̃_t = δC_t * i_t"),
        ("db_C", "(d) δb_C = δa_C summed over the batch rows"),
        ("dW_o", "(d) δW_o = δa_oᵀ z_t, with (c) δa_o = δo_t * o_t (1 − o_t) and (a) δo_t = δh_t * tanh(C_t)"),
        ("db_o", "(d) δb_o = δa_o summed over the batch rows"),
        ("dh_prev", "(e) δh_{t-1} = the first H columns of δz_t = Σ_g δa_g W_g"),
        ("dx_t", "(e) δx_t = the last D columns of δz_t"),
    ],
    "lstm_backward": [
        ("dxs", "dxs[t] = the δx_t of step t, called with dhs[t] + dh_next and dC_next"),
        *[(f"d{w}_{g}", f"δ{w}_{g} = the sum over t of every step's δ{w}_{g}") for g in "fiCo" for w in "Wb"],
        ("dh0", "δh_0 = the δh_{t-1} that the first step (t = 0) returns"),
        ("dC0", "δC_0 = the δC_{t-1} that the first step (t = 0) returns"),
    ],
}


def in_flow_order(name, keys):
    """keys ordered as the backward pass of `name` computes them (unknown keys last, as given), each with
    the equation it comes from (None where there is no table)."""
    table = dict(FLOW.get(name, ()))
    order = {key: k for k, key in enumerate(table)}
    ranked = sorted(keys, key=lambda key: order.get(key, len(order)))
    return [(key, table.get(key)) for key in ranked]
