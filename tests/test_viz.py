"""draw_graph / save_graph / capture_grads: what the DOT says, and rendering with or without dot."""

import collections
import html
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as ag
import nn
from autograd_lite import viz
from autograd_lite.viz import VIRIDIS, ZERO_GREY

REPO = Path(__file__).resolve().parents[1]


def node_line(source: str, node_id: str) -> str:
    """The DOT statement declaring ``node_id``."""
    (line,) = [x for x in source.splitlines() if x.strip().startswith(f"{node_id} [")]
    return line


def two_layer_net() -> tuple[ag.Tensor, dict]:
    """A loss computed inside name scopes shaped like a module tree (as nn.Module pushes)."""
    ag.manual_seed(0)
    params = {"layers.0.weight": ag.randn(2, 3, requires_grad=True),
              "layers.2.weight": ag.randn(1, 2, requires_grad=True)}
    x = ag.tensor(np.ones((4, 3), np.float32), name="x")
    with ag.name_scope("", "MLP"):
        with ag.name_scope("layers.0", "Linear"):
            h = x @ params["layers.0.weight"].T
        with ag.name_scope("layers.1", "Tanh"):
            h = h.tanh()
        with ag.name_scope("layers.2", "Linear"):
            out = h @ params["layers.2.weight"].T
    return (out * out).mean(), params


def test_parameter_names_shapes_and_roles_are_shown():
    loss, params = two_layer_net()
    source = ag.draw_graph(loss, params=params).source
    assert "layers.0.weight · param" in source
    assert "(2, 3) float32" in source and "(4, 3) float32" in source
    assert "x · input" in source
    assert re.search(r'border="3"[^>]*><tr><td bgcolor="[^"]+"><font[^>]*><b>output</b>', source)


def test_clusters_are_labelled_with_qualified_name_and_class():
    loss, params = two_layer_net()
    source = ag.draw_graph(loss, params=params).source
    assert "label=MLP" in source
    assert 'label="layers.0: Linear"' in source
    assert 'label="layers.1: Tanh"' in source
    # nested: the Linear cluster opens inside the MLP cluster
    assert source.index("label=MLP") < source.index('label="layers.0: Linear"')


def test_depth_folds_deeper_modules_into_boxes_with_shapes_and_parameter_count():
    loss, params = two_layer_net()
    source = ag.draw_graph(loss, params=params, depth=1).source
    assert "cluster" in source and 'label="layers.0: Linear"' not in source
    assert "<b>layers.0: Linear</b>" in source
    assert "input: (4, 3) float32" in source and "output: (4, 2) float32" in source
    assert "parameters: 6" in source and "parameters: 2" in source
    assert "layers.0.weight" not in source  # folded into its module's box
    assert "matmul" not in source and "tanh" not in source
    assert re.search(r"m0 -> t\d+", source)


def test_depth_zero_folds_the_whole_model():
    loss, params = two_layer_net()
    source = ag.draw_graph(loss, params=params, depth=0).source
    assert "<b>MLP</b>" in source and "parameters: 8" in source
    assert "cluster" not in source


def conv_net_on_an_image_with_grad() -> tuple[ag.Tensor, nn.Module]:
    """A conv net on a (1, 1, 5, 5) image that requires grad (as for a saliency map)."""
    ag.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(18, 1))
    image = ag.randn(1, 1, 5, 5, requires_grad=True)
    return model(image).sum(), model


def box_line(source: str, title: str) -> str:
    (line,) = [x for x in source.splitlines() if f"<b>{title}</b>" in x]
    return line


@pytest.mark.parametrize("depth, title, parameters", [
    (0, "Sequential", 2 * 9 + 2 + 18 + 1), (1, "0: Conv2d", 2 * 9 + 2)])
def test_folded_conv_shows_its_real_input_shape_not_the_im2col_columns(depth, title,
                                                                        parameters):
    """An input leaf that requires grad feeds the box; only parameters fold into it."""
    loss, model = conv_net_on_an_image_with_grad()
    source = ag.draw_graph(loss, params=model, depth=depth).source
    box = box_line(source, title)
    assert "input: (1, 1, 5, 5) float32" in box
    assert f"parameters: {parameters:,}<" in box
    assert "(1, 9, 9)" not in source
    (image_node,) = [x for x in source.splitlines() if "(1, 1, 5, 5) float32</font></td></tr>"
                     "</table>" in x and "leaf (requires grad)" in x]
    image_id = image_node.split()[0]
    box_id = box.split()[0]
    assert f"{image_id} -> {box_id}" in source


@pytest.mark.parametrize("depth", [None, 1])
def test_conv_on_an_image_without_grad_draws_the_image_not_the_im2col_columns(depth):
    """The usual case: the image is data; the drawing shows it, with its own shape."""
    ag.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(18, 1))
    source = ag.draw_graph(model(ag.randn(1, 1, 5, 5)).sum(), params=model, depth=depth).source
    (image_node,) = [x for x in source.splitlines() if "input (no grad)</b>" in x]
    assert "(1, 1, 5, 5) float32" in image_node
    assert "(1, 9, 9)" not in source
    if depth == 1:
        assert "input: (1, 1, 5, 5) float32" in box_line(source, "0: Conv2d")


def test_tensor_used_twice_keeps_both_edges_and_says_its_grad_is_a_sum():
    x = ag.tensor(3.0, requires_grad=True, name="x")
    y = x * x
    source = ag.draw_graph(y).source
    assert source.count("t0 -> op1") == 2
    assert "grad = sum of 2 contributions" in node_line(source, "t0")


def test_gradients_colour_nodes_by_log_norm_after_backward():
    a, b, c = (ag.tensor(1.0, requires_grad=True, name=n) for n in "abc")
    loss = a * 1.0 + b * 10.0 + c * 100.0
    before = ag.draw_graph(loss).source
    assert not any(colour in before for colour in VIRIDIS)
    loss.backward(retain_graph=True)
    source = ag.draw_graph(loss).source
    # norms 1, 10, 100 span decades 0..2: bottom, middle and top of the viridis scale
    assert f'bgcolor="{VIRIDIS[0]}"' in node_line(source, "t0")
    assert f'bgcolor="{VIRIDIS[4]}"' in node_line(source, "t1")
    assert f'bgcolor="{VIRIDIS[-1]}"' in node_line(source, "t2")
    assert "grad 10" in node_line(source, "t1")
    assert f'color="{VIRIDIS[-1]}"' in source  # edges too
    assert "1e0" in node_line(source, "legend") and "1e2" in node_line(source, "legend")


def test_exactly_zero_gradient_is_grey_not_on_the_scale():
    a = ag.tensor(2.0, requires_grad=True)
    b = ag.tensor(0.0, requires_grad=True)
    loss = a * b
    loss.backward(retain_graph=True)
    source = ag.draw_graph(loss).source
    assert f'bgcolor="{ZERO_GREY}"' in node_line(source, "t0")  # d(ab)/da = b = 0
    assert f'bgcolor="{ZERO_GREY}"' not in node_line(source, "t1")


def test_folded_box_is_coloured_by_its_parameters_gradient():
    loss, params = two_layer_net()
    loss.backward(retain_graph=True)
    source = ag.draw_graph(loss, params=params, depth=1).source
    weight_grad = params["layers.0.weight"].grad.numpy()
    expected = f"‖grad‖ of parameters {np.linalg.norm(weight_grad.astype(np.float64)):.4g}"
    assert expected in node_line(source, "m0")


def test_show_grads_false_draws_no_gradients():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    source = ag.draw_graph(loss, show_grads=False, show_values=False).source
    assert "grad [" not in source and "data [" not in source
    assert not any(colour in source for colour in VIRIDIS)


def test_big_tensors_show_the_gradient_norm_instead_of_values():
    x = ag.ones(3, 4, requires_grad=True)
    loss = (x * 2.0).sum()
    loss.backward(retain_graph=True)
    label = node_line(ag.draw_graph(loss).source, "t0")
    assert "‖grad‖ 6.928" in label  # sqrt(12 * 2**2)
    assert "data" not in label


def test_nan_and_inf_are_flagged_red():
    x = ag.tensor([4.0, -1.0], requires_grad=True, name="x")
    with np.errstate(invalid="ignore"):
        loss = x.sqrt().sum()
        loss.backward(retain_graph=True)
    source = ag.draw_graph(loss).source
    assert "NaN/Inf in grad" in node_line(source, "t0")
    assert "NaN/Inf in data" in node_line(source, "t1")
    assert 'color="#d62728"' in node_line(source, "t1")


def test_capture_grads_keeps_every_intermediate_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.capture_grads() as grads:
        y = x * 3.0
        loss = (y * y).sum()
    loss.backward(retain_graph=True)
    assert len(grads) == 3 and y in grads and x not in grads
    np.testing.assert_allclose(grads[y].numpy(), [6.0, 12.0])  # d(sum y^2)/dy = 2y
    np.testing.assert_allclose(grads[loss].numpy(), 1.0)
    assert "grad [6, 12]" in ag.draw_graph(loss).source
    after = x * 2.0  # outside the block: nothing is retained
    after.sum().backward()
    assert after.grad is None


def test_same_program_gives_byte_identical_dot():
    def build():
        loss, params = two_layer_net()
        loss.backward(retain_graph=True)
        return ag.draw_graph(loss, params=params, theme="dark", rankdir="LR").source

    assert build() == build()


def test_freed_graph_is_drawn_with_a_note():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * 3.0).sum()
    loss.backward()
    source = ag.draw_graph(loss).source
    assert "retain_graph=True" in node_line(source, "freed")
    assert "freed -> op0" in source and "inputs freed" in source


def test_max_nodes_truncates_with_a_visible_note():
    x = ag.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(50):
        y = y.tanh()
    source = ag.draw_graph(y, max_nodes=5).source
    assert len(re.findall(r"^\s*t\d+ \[", source, re.M)) == 5
    assert "max_nodes=5 reached" in node_line(source, "truncated")
    assert "truncated -> op0" in source


def test_building_dot_for_10000_nodes_is_iterative_and_fast():
    x = ag.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(5000):  # 5,001 tensors + 5,000 ops: far deeper than the recursion limit
        y = y.tanh()
    start = time.perf_counter()
    source = ag.draw_graph(y).source
    print(f"\ndraw_graph: DOT for 10,001 nodes in {time.perf_counter() - start:.2f} s")
    assert source.count(" -> ") == 10000


def test_save_graph_writes_dot_text_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    x = ag.tensor(2.0, requires_grad=True, name="x")
    path = ag.save_graph(x * 3.0, tmp_path / "g.dot")
    assert path.read_text().startswith("digraph autograd_lite {")
    assert "x · leaf" in path.read_text()


def test_rendering_without_dot_explains_how_to_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot anywhere
    y = ag.tensor(2.0, requires_grad=True) * 3.0
    with pytest.raises(ag.GraphvizNotFoundError, match="apt-get install graphviz") as caught:
        ag.save_graph(y, tmp_path / "g.png")
    assert "brew install graphviz" in str(caught.value)
    assert "conda install -c conda-forge graphviz" in str(caught.value)
    with pytest.raises(ag.GraphvizNotFoundError, match="make demo"):
        ag.draw_graph(y).pipe(format="svg")


def test_several_drawings_render_with_one_run_of_dot(tmp_path, monkeypatch):
    loss, params = two_layer_net()
    drawings = [ag.draw_graph(loss, params=params), ag.draw_graph(loss, params=params, depth=1)]
    separately = [drawing.pipe(format="svg", encoding="utf-8") for drawing in drawings]
    # The same SVG, except the outer group's id, which numbers the graphs of one run of dot.
    together = [re.sub(r'<g id="page0,\d+_graph0"', '<g id="graph0"', text, count=1)
                for text in ag.viz.svg_documents(drawings)]
    assert together == [text[text.find("<svg"):].rstrip() for text in separately]
    assert together[0] != together[1]
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ag.GraphvizNotFoundError, match="apt-get install graphviz"):
        ag.viz.svg_documents(drawings)


def test_png_and_svg_render_when_dot_exists(tmp_path):
    loss, params = two_layer_net()
    loss.backward(retain_graph=True)
    png = ag.save_graph(loss, tmp_path / "g.png", params=params)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = ag.draw_graph(loss, params=params)._repr_mimebundle_()["image/svg+xml"]
    assert "<svg" in svg and "layers.0: Linear" in svg


def test_bad_arguments_get_clear_errors(tmp_path):
    y = ag.tensor(1.0, requires_grad=True) * 2.0
    with pytest.raises(ValueError, match="save_graph: cannot tell the format .*jpg"):
        ag.save_graph(y, tmp_path / "g.jpg")
    with pytest.raises(ValueError, match="theme must be one of"):
        ag.draw_graph(y, theme="blue")
    with pytest.raises(ValueError, match="rankdir must be one of"):
        ag.draw_graph(y, rankdir="UP")
    with pytest.raises(TypeError, match="output 0 is a ndarray"):
        ag.draw_graph(np.ones(2))
    with pytest.raises(TypeError, match="params must be a module"):
        ag.draw_graph(y, params=[1, 2])


def test_importing_autograd_lite_does_not_import_graphviz():
    code = "import sys, autograd_lite; sys.exit('graphviz' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_graph_gallery_runs_and_reproduces_the_micrograd_lecture(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, str(REPO / "examples" / "graph_gallery.py"), "--quick",
                          "--out", str(tmp_path)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "x1.grad = -1.5, w1.grad = 1, x2.grad = 0.5, w2.grad = 0, b.grad = 0.5" in run.stdout
    names = sorted(p.stem for p in tmp_path.iterdir())
    assert names == ["graph_mlp_folded", "graph_mlp_gradients", "graph_mlp_modules",
                     "graph_neuron", "graph_vanishing"]


# --- the README's 30-second tour ------------------------------------------------------------


def readme_tour() -> tuple[str, Path]:
    """The tour's code block and the picture the README shows beside it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## A 30-second tour\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    picture = re.search(r"!\[[^\]]*\]\(([^)]+)\)", section).group(1)
    return code, REPO / picture


def svg_texts(svg: str) -> collections.Counter:
    """Every piece of text drawn in an SVG picture (graphviz writes one <text> per line)."""
    return collections.Counter(html.unescape(text) for text in
                               re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S))


def run_tour(code: str, workdir: Path, monkeypatch) -> list:
    """Run the tour's ``code`` in ``workdir``; return the graphs it drew."""
    drawn = []
    real_draw = viz.draw_graph

    def draw_and_keep(*outputs, **options):
        drawn.append(real_draw(*outputs, **options))
        return drawn[-1]

    monkeypatch.setattr(viz, "draw_graph", draw_and_keep)
    monkeypatch.chdir(workdir)
    exec(compile(code, "README.md, A 30-second tour", "exec"), {})
    return drawn


def test_readme_tour_draws_the_picture_the_readme_shows(tmp_path, monkeypatch, capsys):
    """Same labels as the picture: the tour keeps the graph for drawing (not the freed stub).

    To regenerate the picture: run the tour, then render the same drawing as SVG, e.g.
    ``graph = ag.draw_graph(o, rankdir="LR"); Path("docs/graph_neuron.svg").write_bytes(
    graph.pipe(format="svg"))``.
    """
    code, picture = readme_tour()
    (graph,) = run_tour(code, tmp_path, monkeypatch)
    capsys.readouterr()
    assert (tmp_path / "neuron.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    drawn = svg_texts(graph.pipe(format="svg").decode("utf-8"))
    assert drawn == svg_texts(picture.read_text(encoding="utf-8"))
    for name, grad in (("x1", "-1.5"), ("w1", "1"), ("x2", "0.5"), ("w2", "0"), ("b", "0.5")):
        assert drawn[f"{name} \u00b7 leaf"] == 1 and drawn[f"grad {grad}"] >= 1
    assert (drawn["mul"], drawn["add"], drawn["tanh"]) == (2, 2, 1)
    assert not any("freed" in text for text in drawn)


def test_readme_tour_without_retain_graph_draws_the_stub_that_says_what_to_do(
        tmp_path, monkeypatch, capsys):
    """The check above can fail: the tour with a plain backward() draws something else."""
    code, picture = readme_tour()
    assert "o.backward(retain_graph=True)" in code
    plain = code.replace("o.backward(retain_graph=True)", "o.backward()")
    (graph,) = run_tour(plain, tmp_path, monkeypatch)
    drawn = svg_texts(graph.pipe(format="svg").decode("utf-8"))
    assert drawn != svg_texts(picture.read_text(encoding="utf-8"))
    assert drawn["backward() freed the graph that computed this tensor."] == 1
    assert drawn["To draw it, call backward(retain_graph=True),"] == 1
    assert drawn["x1 \u00b7 leaf"] == 0


# --- the description that drawings are made from ------------------------------------------


def test_describe_gives_plain_nodes_with_kinds_and_edges_along_the_data():
    x = ag.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * 3.0
    graph = viz.describe([y], {})
    assert [(n.id, n.kind) for n in graph.nodes] == [
        ("t0", "tensor"), ("t1", "tensor"), ("op1", "op"), ("c1_1", "constant")]
    assert [(e.tail, e.head, e.carries) for e in graph.edges] == [
        ("op1", "t1", "t1"), ("t0", "op1", "t0"), ("c1_1", "op1", None)]
    leaf, out, op, constant = (n.fields for n in graph.nodes)
    assert (leaf["role"], leaf["name"], leaf["shape"], leaf["dtype"]) == ("leaf", "x", (2,),
                                                                          "float32")
    assert (out["role"], op["op"], op["inputs_freed"]) == ("output", "mul", False)
    assert constant["role"] == "constant" and constant["shape"] is None  # a Python number
    np.testing.assert_array_equal(out["data"], [3.0, 6.0])
    assert leaf["grad"] is None and leaf["grad_norm"] is None


def test_describe_records_gradients_and_module_scopes():
    loss, params = two_layer_net()
    loss.backward(retain_graph=True)
    graph = viz.describe([loss], {id(t): name for name, t in params.items()})
    by_name = {n.fields["name"]: n for n in graph.nodes if n.kind == "tensor"}
    weight = by_name["layers.0.weight"]
    assert weight.fields["role"] == "param"
    assert weight.scope == (("", "MLP"), ("layers.0", "Linear"))  # where its only user is
    expected = np.linalg.norm(params["layers.0.weight"].grad.numpy().astype(np.float64))
    assert weight.fields["grad_norm"] == pytest.approx(expected, rel=1e-12)
    assert by_name["x"].scope == () and by_name["x"].fields["role"] == "input"
    ops = [n for n in graph.nodes if n.kind == "op"]
    (tanh,) = [n for n in ops if n.fields["op"] == "tanh"]
    assert tanh.scope == (("", "MLP"), ("layers.1", "Tanh"))
    assert ops[-1].scope == ()  # the loss is computed outside the model


def test_fold_is_a_pass_that_hides_each_deep_module_in_one_box():
    loss, params = two_layer_net()
    graph = viz.describe([loss], {id(t): name for name, t in params.items()})
    assert viz.fold(graph, None) is graph
    folded = viz.fold(graph, 1)
    boxes = [n for n in folded.nodes if n.kind == "module"]
    assert [(b.id, b.fields["module"], b.fields["parameters"]) for b in boxes] == [
        ("m0", ("layers.0", "Linear"), 6), ("m1", ("layers.1", "Tanh"), 0),
        ("m2", ("layers.2", "Linear"), 2)]
    assert all(b.scope == (("", "MLP"),) for b in boxes)
    assert boxes[0].fields["inputs"] == [((4, 3), "float32")]
    assert boxes[0].fields["outputs"] == [((4, 2), "float32")]
    drawn = {n.id for n in folded.nodes}
    hidden = [inner.id for b in boxes for inner in b.fields["inner"]]
    assert len(hidden) == len(set(hidden)) and not drawn & set(hidden)
    assert drawn | set(hidden) == {n.id for n in graph.nodes} | {b.id for b in boxes}
    assert all(e.tail in drawn and e.head in drawn for e in folded.edges)
    x, layer0, tanh, layer2 = "t2", "t4", "t5", "t7"  # each box's output feeds the next box
    assert [(e.tail, e.head) for e in folded.edges if e.tail in drawn - {"op8"}][:6] == [
        ("m0", layer0), (x, "m0"), ("m1", tanh), (layer0, "m1"), ("m2", layer2), (tanh, "m2")]
    assert [(e.tail, e.head) for e in folded.edges].count((layer2, "op8")) == 2  # out * out


def test_parameters_are_drawn_as_parameters_with_or_without_params():
    layer = nn.Linear(2, 1)
    loss = layer(ag.ones(3, 2)).sum()
    without = ag.draw_graph(loss).source  # the marker Tensor.is_parameter, no class names
    assert without.count("<b>parameter</b>") == 2 and "leaf (requires grad)" not in without
    named = ag.draw_graph(loss, params=layer).source  # params= adds the names
    assert "<b>weight · param</b>" in named and "<b>bias · param</b>" in named
    assert "leaf (requires grad)" not in named
    w = ag.ones(2, 1, requires_grad=True)  # a plain tensor is a leaf unless params= names it
    plain = (ag.ones(3, 2) @ w).sum()
    assert "<b>leaf (requires grad)</b>" in ag.draw_graph(plain).source
    assert "<b>w · param</b>" in ag.draw_graph(plain, params={"w": w}).source


def test_folding_a_chain_deeper_than_the_recursion_limit_is_iterative():
    x = ag.tensor(0.5, requires_grad=True)
    with ag.name_scope("", "Deep"):
        y = x
        for _ in range(3 * sys.getrecursionlimit()):
            y = y.tanh()
    source = ag.draw_graph(y, depth=0).source
    assert "<b>Deep</b>" in source and "tanh" not in source
    assert "input: scalar float32" in node_line(source, "m0")
    assert source.count(" -> ") == 2  # the leaf into the box, the box out to the output
