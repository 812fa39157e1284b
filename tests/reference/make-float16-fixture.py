#!/usr/bin/python3
"""A small seeded network exported twice with 16-bit weights, as mixed-precision
exports come: float32 input and output with a Cast to FLOAT16 (BFLOAT16)
after the input and back to FLOAT before the output, weights stored as
FLOAT16 (BFLOAT16) raw data, and, as the reference, the same network in
float32 with numpy's (PyTorch's) rounding of every weight. The core computes
16-bit tensors in float32, so on inputs the Cast leaves exact the two files
must give the same logits: tests/test-onnx-load.c.
Writes tests/fixtures/float16/{model-f16,model-f16-ref,model-bf16,model-bf16-ref}.onnx."""
import os
import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

torch.manual_seed(4)
out = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'float16')
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(),
    torch.nn.Conv2d(6, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 5))
net.eval()
x = torch.rand(1, 3, 8, 8)
path32 = os.path.join(out, 'model-f32.onnx.tmp')
torch.onnx.export(net, x, path32, opset_version=13, input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
base = onnx.load(path32)
os.remove(path32)


def rounded(a, kind):
    if kind == 'f16':
        return a.astype(np.float16)
    return torch.from_numpy(a).to(torch.bfloat16)


def as_f32(r, kind):
    return r.astype(np.float32) if kind == 'f16' else r.to(torch.float32).numpy()


def bf16_tensor(name, r):
    bits = r.view(torch.int16).numpy().astype(np.uint16)
    t = TensorProto(name=name, data_type=TensorProto.BFLOAT16, dims=list(r.shape))
    t.raw_data = bits.tobytes()
    return t


for kind, code in (('f16', TensorProto.FLOAT16), ('bf16', TensorProto.BFLOAT16)):
    low = onnx.ModelProto()
    low.CopyFrom(base)
    ref = onnx.ModelProto()
    ref.CopyFrom(base)
    g = low.graph
    for i, init in enumerate(list(g.initializer)):
        a = numpy_helper.to_array(init)
        r = rounded(a, kind)
        g.initializer[i].CopyFrom(numpy_helper.from_array(r, init.name) if kind == 'f16' else bf16_tensor(init.name, r))
        ref.graph.initializer[i].CopyFrom(numpy_helper.from_array(as_f32(r, kind), init.name))
    # float32 I/O around a 16-bit body
    first = g.node[0]
    first_in = first.input[0]
    first.input[0] = 'input_low'
    last = g.node[len(g.node) - 1]
    last.output[0] = 'logits_low'
    body = list(g.node)
    del g.node[:]
    g.node.append(helper.make_node('Cast', ['input'], ['input_low'], to=code, name='to_low'))
    g.node.extend(body)
    g.node.append(helper.make_node('Cast', ['logits_low'], ['logits'], to=TensorProto.FLOAT, name='to_float'))
    del g.value_info[:]
    onnx.checker.check_model(low)
    onnx.save(low, os.path.join(out, 'model-%s.onnx' % kind))
    onnx.save(ref, os.path.join(out, 'model-%s-ref.onnx' % kind))
print('written to', out)
