#!/usr/bin/python3
"""Writes the PyTorch checkpoint fixtures and the values PyTorch computes for them.

Run with Debian's python3-torch (1.13): `apt-get install python3-torch`, then
    /usr/bin/python3 tests/WebGen.Tests/Fixtures/pytorch/make_fixtures.py
from anywhere; everything is written beside this script. The tests read the files only: no python at test time.

MNIST's test files are read from data/mnist of the checkout (`./webgen data mnist` fetches them): the protocol's
numbers for the VAE (evaluate_lower_bound, random draws as the reference makes them) and the SSVAE's test accuracy.

The networks and models are the homework's (protocol.md): nn.Sequential of Linear/ELU (ReLU for the classifier)
under the names enc/dec/cls, the model holding z_pre/pi (GMVAE) or z_prior_m/z_prior_v. Weights are PyTorch's
default initialisation after torch.manual_seed. Reference values use Gaussian noise written into the JSON (eps),
so the C# side needs no agreement of random streams.
"""
import io
import json
import math
import os
import pickletools
import zipfile
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(HERE, "..", "..", "..", "..", "data", "mnist")
# What the malicious fixtures would create if anything ran them; the tests check it never appears.
MARKER = "/tmp/webgen-malicious-checkpoint-ran"
BATCH = 3
IW = 5


# ----------------------------------------------------------------------------------------- utils.py (protocol.md)
def gaussian_parameters(h, dim=-1):
    m, h = torch.split(h, h.size(dim) // 2, dim=dim)
    v = F.softplus(h) + 1e-8
    return m, v


def sample_gaussian(m, v, eps=None):
    """eps given: the fixtures' explicit noise; None: drawn as the reference does (randn_like)."""
    if eps is None:
        eps = torch.randn_like(m)
    return m + torch.sqrt(v) * eps


def log_normal(x, m, v):
    return (-0.5 * (math.log(2 * math.pi) + torch.log(v) + (x - m) ** 2 / v)).sum(-1)


def log_mean_exp(x, dim):
    return log_sum_exp(x, dim) - np.log(x.size(dim))


def log_sum_exp(x, dim=0):
    max_x = torch.max(x, dim)[0]
    new_x = x - max_x.unsqueeze(dim).expand_as(x)
    return max_x + (new_x.exp().sum(dim)).log()


def log_normal_mixture(z, m, v):
    return log_mean_exp(log_normal(z.unsqueeze(1), m, v), 1)


def kl_normal(qm, qv, pm, pv):
    return (0.5 * (torch.log(pv) - torch.log(qv) + qv / pv + (qm - pm).pow(2) / pv - 1)).sum(-1)


def kl_cat(q, log_q, log_p):
    return (q * (log_q - log_p)).sum(-1)


def log_bernoulli_with_logits(x, logits):
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def duplicate(x, rep):
    return x.expand(rep, *x.shape).reshape(-1, *x.shape[1:])


# ------------------------------------------------------------------------------------------------ nns/v1.py
class Encoder(nn.Module):
    def __init__(self, z_dim, y_dim=0):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784 + y_dim, 300), nn.ELU(), nn.Linear(300, 300), nn.ELU(),
                                 nn.Linear(300, 2 * z_dim))

    def forward(self, x, y=None):
        xy = x if y is None else torch.cat((x, y), dim=1)
        return gaussian_parameters(self.net(xy), dim=1)


class Decoder(nn.Module):
    def __init__(self, z_dim, y_dim=0):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim + y_dim, 300), nn.ELU(), nn.Linear(300, 300), nn.ELU(),
                                 nn.Linear(300, 784))

    def forward(self, z, y=None):
        return self.net(z if y is None else torch.cat((z, y), dim=1))


class Classifier(nn.Module):
    def __init__(self, y_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 300), nn.ReLU(), nn.Linear(300, y_dim))

    def forward(self, x):
        return self.net(x)


# --------------------------------------------------------------------------------------------- the models
class VAE(nn.Module):
    def __init__(self, z_dim=10):
        super().__init__()
        self.z_dim = z_dim
        self.enc = Encoder(z_dim)
        self.dec = Decoder(z_dim)
        self.z_prior_m = torch.nn.Parameter(torch.zeros(1), requires_grad=False)
        self.z_prior_v = torch.nn.Parameter(torch.ones(1), requires_grad=False)

    def log_prior(self, z):
        return log_normal(z, self.z_prior_m, self.z_prior_v)

    def negative_elbo_bound(self, x, eps=None):
        m, v = self.enc(x)
        z = sample_gaussian(m, v, eps)
        kl = kl_normal(m, v, self.z_prior_m, self.z_prior_v)
        rec = -log_bernoulli_with_logits(x, self.dec(z))
        return (kl + rec).mean(), kl.mean(), rec.mean()

    def negative_iwae_bound(self, x, iw, eps=None):
        m, v = self.enc(x)
        m, v, x = duplicate(m, iw), duplicate(v, iw), duplicate(x, iw)
        z = sample_gaussian(m, v, eps)
        kl = log_normal(z, m, v) - self.log_prior(z)
        rec = -log_bernoulli_with_logits(x, self.dec(z))
        niwae = -log_mean_exp((-(kl + rec)).reshape(iw, -1), 0)
        return niwae.mean(), kl.mean(), rec.mean()


class GMVAE(VAE):
    def __init__(self, z_dim=10, k=500):
        nn.Module.__init__(self)
        self.z_dim, self.k = z_dim, k
        self.enc = Encoder(z_dim)
        self.dec = Decoder(z_dim)
        self.z_pre = torch.nn.Parameter(torch.randn(1, 2 * k, z_dim) / np.sqrt(k * z_dim))
        self.pi = torch.nn.Parameter(torch.ones(k) / k, requires_grad=False)

    def log_prior(self, z):
        return log_normal_mixture(z, *gaussian_parameters(self.z_pre, dim=1))

    def negative_elbo_bound(self, x, eps=None):
        m, v = self.enc(x)
        z = sample_gaussian(m, v, eps)
        kl = log_normal(z, m, v) - self.log_prior(z)
        rec = -log_bernoulli_with_logits(x, self.dec(z))
        return (kl + rec).mean(), kl.mean(), rec.mean()


class SSVAE(nn.Module):
    def __init__(self, z_dim=64):
        super().__init__()
        self.z_dim, self.y_dim = z_dim, 10
        self.enc = Encoder(z_dim, self.y_dim)
        self.dec = Decoder(z_dim, self.y_dim)
        self.cls = Classifier(self.y_dim)
        self.z_prior_m = torch.nn.Parameter(torch.zeros(1), requires_grad=False)
        self.z_prior_v = torch.nn.Parameter(torch.ones(1), requires_grad=False)

    def negative_elbo_bound(self, x, eps=None):
        y_logprob = F.log_softmax(self.cls(x), dim=1)
        y_prob = torch.softmax(y_logprob, dim=1)
        y = x.new(np.eye(self.y_dim)[np.repeat(np.arange(self.y_dim), x.size(0))])
        x = duplicate(x, self.y_dim)
        m, v = self.enc(x, y)
        z = sample_gaussian(m, v, eps)
        kl_y = kl_cat(y_prob, y_logprob, np.log(1.0 / self.y_dim))
        kl_z = (y_prob.t() * kl_normal(m, v, self.z_prior_m, self.z_prior_v).reshape(self.y_dim, -1)).sum(0)
        rec = (y_prob.t() * -log_bernoulli_with_logits(x, self.dec(z, y)).reshape(self.y_dim, -1)).sum(0)
        return (kl_y + kl_z + rec).mean(), kl_z.mean(), kl_y.mean(), rec.mean()


# ----------------------------------------------------------------------------- the evaluation protocol (protocol.md)
TEST_IDX = [[684, 559, 629, 192, 835, 763, 707, 359, 9, 723], [277, 599, 1094, 600, 314, 705, 551, 87, 174, 849],
            [537, 845, 72, 777, 115, 976, 755, 448, 850, 99], [984, 177, 755, 797, 659, 147, 910, 423, 288, 961],
            [265, 697, 639, 544, 543, 714, 244, 151, 675, 510], [459, 882, 183, 28, 802, 128, 128, 53, 550, 488],
            [756, 273, 335, 388, 617, 42, 442, 543, 888, 257], [57, 291, 779, 430, 91, 398, 611, 908, 633, 84],
            [203, 324, 774, 964, 47, 639, 131, 972, 868, 180], [1000, 846, 143, 660, 227, 954, 791, 719, 909, 373]]


def mnist_test():
    """The 10,000 test images as byte/255 float rows and their labels, from the IDX files."""
    with open(os.path.join(MNIST, "t10k-images-idx3-ubyte"), "rb") as f:
        images = np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 784)
    with open(os.path.join(MNIST, "t10k-labels-idx1-ubyte"), "rb") as f:
        labels = np.frombuffer(f.read()[8:], dtype=np.uint8)
    return torch.tensor(images, dtype=torch.float32) / 255, torch.tensor(labels, dtype=torch.long)


def evaluate_lower_bound(model, images, labels):
    """The reference evaluate_lower_bound: the subset binarised once after seeding 0, means over repeated calls."""
    subset = torch.cat([images[(labels == d).nonzero().squeeze(1)[TEST_IDX[d]]] for d in range(10)])
    torch.manual_seed(0)
    xl = torch.bernoulli(subset)

    def compute_metrics(fn, repeat):
        metrics = [0, 0, 0]
        for _ in range(repeat):
            for i, value in enumerate(fn(xl)):
                metrics[i] += value.item() / repeat
        return metrics

    with torch.no_grad():
        nelbo, kl, rec = compute_metrics(model.negative_elbo_bound, 100)
        iwae = {str(iw): compute_metrics(lambda x: model.negative_iwae_bound(x, iw), max(100 // iw, 1))[0]
                for iw in [1, 10, 100, 1000]}
    return {"nelbo": nelbo, "kl": kl, "rec": rec, "iwae": iwae}


def test_accuracy(model, images, labels):
    with torch.no_grad():
        return (model.cls(images).argmax(1) == labels).float().mean().item()


# ------------------------------------------------------------------------------------------------ writing
def values(t):
    return t.detach().double().reshape(-1).tolist()


def fingerprint(state):
    """Per tensor: its shape, its first five values and its sum (as float64), to check the bytes were read right."""
    return {name: {"shape": list(t.shape), "first": values(t.reshape(-1)[:5]), "sum": float(t.double().sum())}
            for name, t in state.items()}


def save(obj, name, legacy, protocol=2):
    path = os.path.join(HERE, name)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)
    print(f"{name}: {os.path.getsize(path)} bytes, {'legacy' if legacy else 'zip'} format, pickle protocol {protocol}")


def write_json(name, data):
    """One key a line, each value compact: reviewable diffs without a line per number."""
    with open(os.path.join(HERE, name), "w") as f:
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.items()) + "\n}\n")


def lower_bound_reference(model, x, z):
    """Encoder, decoder, NELBO and IWAE pieces of a VAE or GMVAE for x and z, with the noise in the JSON."""
    eps = torch.randn(BATCH, model.z_dim)
    eps_iw = torch.randn(IW * BATCH, model.z_dim)
    with torch.no_grad():
        m, v = model.enc(x)
        nelbo, kl, rec = model.negative_elbo_bound(x, eps)
        niwae, iw_kl, iw_rec = model.negative_iwae_bound(x, IW, eps_iw)
        return {
            "x": values(x), "z": values(z), "eps": values(eps), "iw": IW, "eps_iw": values(eps_iw),
            "enc_m": values(m), "enc_v": values(v), "dec_logits": values(model.dec(z)),
            "nelbo": nelbo.item(), "kl": kl.item(), "rec": rec.item(),
            "niwae": niwae.item(), "iwae_kl": iw_kl.item(), "iwae_rec": iw_rec.item(),
        }


def main():
    torch.manual_seed(236)
    x = torch.bernoulli(torch.rand(BATCH, 784))

    torch.manual_seed(1)  # each model seeded on its own: the protocol evaluation below reseeds the generator
    vae = VAE(z_dim=10).eval()
    reference = lower_bound_reference(vae, x, torch.randn(BATCH, 10))
    images, labels = mnist_test()
    protocol = evaluate_lower_bound(vae, images, labels)
    write_json("vae.json", {"model": "vae", "z_dim": 10, **reference, "protocol": protocol, "params": fingerprint(vae.state_dict())})
    save(vae.state_dict(), "vae_zip.pt", legacy=False)
    save(vae.state_dict(), "vae_legacy.pt", legacy=True)

    torch.manual_seed(2)
    gmvae = GMVAE(z_dim=10, k=500).eval()
    reference = lower_bound_reference(gmvae, x, torch.randn(BATCH, 10))
    write_json("gmvae.json", {"model": "gmvae", "z_dim": 10, "k": 500, **reference, "params": fingerprint(gmvae.state_dict())})
    save(gmvae.state_dict(), "gmvae_zip.pt", legacy=False, protocol=4)  # protocol 4: STACK_GLOBAL, MEMOIZE, FRAME

    torch.manual_seed(3)
    ssvae = SSVAE(z_dim=64).eval()
    y = torch.eye(10)[torch.tensor([3, 7, 0])]
    z = torch.randn(BATCH, 64)
    eps = torch.randn(10 * BATCH, 64)
    with torch.no_grad():
        m, v = ssvae.enc(x, y)
        nelbo, kl_z, kl_y, rec = ssvae.negative_elbo_bound(x, eps)
        write_json("ssvae.json", {
            "model": "ssvae", "z_dim": 64, "x": values(x), "y": values(y), "z": values(z), "eps": values(eps),
            "enc_m": values(m), "enc_v": values(v), "dec_logits": values(ssvae.dec(z, y)),
            "cls_logits": values(ssvae.cls(x)),
            "nelbo": nelbo.item(), "kl_z": kl_z.item(), "kl_y": kl_y.item(), "rec": rec.item(),
            "protocol": {"accuracy": test_accuracy(ssvae, images, labels)},
            "params": fingerprint(ssvae.state_dict())})
    save(ssvae.state_dict(), "ssvae_legacy.pt", legacy=True)

    # A VAE state dict gone wrong: an SSVAE-sized first layer (784 + 10 inputs), a missing bias, a stray classifier
    # weight. Each tensor is one zero expanded (stride 0), so the file stays tiny.
    wrong = OrderedDict((name, torch.zeros(1).expand(*t.shape)) for name, t in vae.state_dict().items())
    wrong["enc.net.0.weight"] = torch.zeros(1).expand(300, 794)
    del wrong["dec.net.4.bias"]
    wrong["cls.net.0.weight"] = torch.zeros(1).expand(300, 784)
    save(wrong, "vae_wrong_shape.pt", legacy=False)

    # Checkpoints whose unpickling would run a shell command (posix.system), as torch.save writes any object.
    class RunsAShellCommand:
        def __reduce__(self):
            return os.system, (f"touch {MARKER}",)

    poisoned = OrderedDict(wrong)
    poisoned["enc.net.0.weight"] = RunsAShellCommand()
    save(poisoned, "malicious_zip.pt", legacy=False, protocol=4)  # names the global with STACK_GLOBAL
    save(poisoned, "malicious_legacy.pt", legacy=True)  # with GLOBAL
    check_malicious()


def check_malicious():
    """The poisoned files do name posix.system (read with pickletools, which runs nothing)."""
    with zipfile.ZipFile(os.path.join(HERE, "malicious_zip.pt")) as archive:
        pickle = archive.read(next(n for n in archive.namelist() if n.endswith("/data.pkl")))
    listing = io.StringIO()
    pickletools.dis(pickle, out=listing)
    assert "'posix'" in listing.getvalue() and "'system'" in listing.getvalue() and "STACK_GLOBAL" in listing.getvalue()
    with open(os.path.join(HERE, "malicious_legacy.pt"), "rb") as f:
        assert b"cposix\nsystem\n" in f.read()
    assert not os.path.exists(MARKER)


if __name__ == "__main__":
    main()
