"""The homework's training loop for the VAE, GMVAE and SSVAE in PyTorch (vae.py, gmvae.py, ssvae.py, utils.py,
train.py, nns/v1.py).

Cross-checks WebGen's trainer: with the same seed both draw the same initial weights, shuffles, binarisations and z
samples, so the losses they print agree step for step (see the README's Results). Needs Debian's python3-torch:
  /usr/bin/python3 tools/crosscheck/reference_training.py data/mnist SEED ITERATIONS OUT.pt [vae|gmvae|ssvae] [THREADS]
  ./webgen train vae --iterations ITERATIONS --seed SEED      # the same losses at the same steps
OUT.pt is a state dict that `./webgen eval vae --checkpoint OUT.pt` evaluates. THREADS: intra-op threads (default: one
per core). The last line gives the ms/step of all the steps, which `./webgen bench peer` reads.
The SSVAE (gw = 1, cw = 100) is here for its pace: its 100 labelled images are the first ten of each digit, not the
course's index table, so its losses are not WebGen's step for step.
"""
import os, sys, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F

def read_idx(path, offset):
    return np.frombuffer(open(path, 'rb').read(), dtype=np.uint8, offset=offset)

def gaussian_parameters(h, dim=-1):
    m, h = torch.split(h, h.size(dim) // 2, dim=dim)
    return m, F.softplus(h) + 1e-8

def kl_normal(qm, qv, pm, pv):
    return (0.5 * (torch.log(pv) - torch.log(qv) + qv / pv + (qm - pm).pow(2) / pv - 1)).sum(-1)

bce = nn.BCEWithLogitsLoss(reduction='none')

class Encoder(nn.Module):
    def __init__(self, z_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 300), nn.ELU(), nn.Linear(300, 300), nn.ELU(), nn.Linear(300, 2 * z_dim))
    def encode(self, x):
        return gaussian_parameters(self.net(x), dim=1)

class Decoder(nn.Module):
    def __init__(self, z_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 300), nn.ELU(), nn.Linear(300, 300), nn.ELU(), nn.Linear(300, 784))
    def decode(self, z):
        return self.net(z)

class ConditionalEncoder(Encoder):  # nns/v1.py Encoder(z_dim, y_dim): q(z | x, y)
    def __init__(self, z_dim, y_dim):
        super().__init__(z_dim)
        self.net[0] = nn.Linear(784 + y_dim, 300)
    def encode(self, x, y):
        return super().encode(torch.cat((x, y), dim=-1))

class ConditionalDecoder(Decoder):  # nns/v1.py Decoder(z_dim, y_dim): p(x | z, y)
    def __init__(self, z_dim, y_dim):
        super().__init__(z_dim + y_dim)
    def decode(self, z, y):
        return super().decode(torch.cat((z, y), dim=-1))

class Classifier(nn.Module):
    def __init__(self, y_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 300), nn.ReLU(), nn.Linear(300, y_dim))
    def classify(self, x):
        return self.net(x)

class VAE(nn.Module):
    def __init__(self, z_dim=10):
        super().__init__()
        self.enc, self.dec = Encoder(z_dim), Decoder(z_dim)
        self.z_prior_m = nn.Parameter(torch.zeros(1), requires_grad=False)
        self.z_prior_v = nn.Parameter(torch.ones(1), requires_grad=False)
    def negative_elbo_bound(self, x):
        m, v = self.enc.encode(x)
        z = m + torch.sqrt(v) * torch.randn_like(m)
        rec = bce(self.dec.decode(z), x).sum(-1)
        kl = kl_normal(m, v, self.z_prior_m, self.z_prior_v)
        return (kl + rec).mean(), kl.mean(), rec.mean()

def log_normal(x, m, v):
    return (-0.5 * (np.log(2 * np.pi) + torch.log(v) + (x - m).pow(2) / v)).sum(-1)

def log_mean_exp(x, dim):
    return torch.logsumexp(x, dim) - np.log(x.size(dim))

class GMVAE(nn.Module):
    def __init__(self, z_dim=10, k=500):
        super().__init__()
        self.k, self.z_dim = k, z_dim
        self.enc, self.dec = Encoder(z_dim), Decoder(z_dim)
        self.z_pre = nn.Parameter(torch.randn(1, 2 * k, z_dim) / np.sqrt(k * z_dim))
        self.pi = nn.Parameter(torch.ones(k) / k, requires_grad=False)
    def negative_elbo_bound(self, x):
        pm, pv = gaussian_parameters(self.z_pre, dim=1)
        m, v = self.enc.encode(x)
        z = m + torch.sqrt(v) * torch.randn_like(m)
        rec = bce(self.dec.decode(z), x).sum(-1)
        kl = log_normal(z, m, v) - log_mean_exp(log_normal(z.unsqueeze(1), pm, pv), 1)
        return (kl + rec).mean(), kl.mean(), rec.mean()

def kl_cat(q, log_q, log_p):
    return (q * (log_q - log_p)).sum(-1)

class SSVAE(nn.Module):
    def __init__(self, z_dim=64, y_dim=10, gen_weight=1, class_weight=100):
        super().__init__()
        self.z_dim, self.y_dim, self.gen_weight, self.class_weight = z_dim, y_dim, gen_weight, class_weight
        self.enc, self.dec, self.cls = ConditionalEncoder(z_dim, y_dim), ConditionalDecoder(z_dim, y_dim), Classifier(y_dim)
        self.z_prior_m = nn.Parameter(torch.zeros(1), requires_grad=False)
        self.z_prior_v = nn.Parameter(torch.ones(1), requires_grad=False)
    def negative_elbo_bound(self, x):
        y_logprob = F.log_softmax(self.cls.classify(x), dim=1)
        y_prob = torch.softmax(y_logprob, dim=1)
        y = torch.eye(self.y_dim)[torch.arange(self.y_dim).repeat_interleave(x.size(0))]
        x = x.expand(self.y_dim, *x.shape).reshape(-1, x.size(1))  # utils.duplicate
        m, v = self.enc.encode(x, y)
        z = m + torch.sqrt(v) * torch.randn_like(m)
        rec = bce(self.dec.decode(z, y), x).sum(-1).reshape(self.y_dim, -1)
        kl_z = kl_normal(m, v, self.z_prior_m, self.z_prior_v).reshape(self.y_dim, -1)
        kl_y = kl_cat(y_prob, y_logprob, np.log(1.0 / self.y_dim))
        kl_z, rec = (y_prob.t() * kl_z).sum(0), (y_prob.t() * rec).sum(0)
        return (kl_y + kl_z + rec).mean(), (kl_z + kl_y).mean(), rec.mean()
    def loss(self, x, xl, yl):
        nelbo, kl, rec = self.negative_elbo_bound(x)
        ce = F.cross_entropy(self.cls.classify(xl), yl)
        return self.gen_weight * nelbo + self.class_weight * ce, kl, rec

def main(data, seed, iterations, out, kind='vae', threads=None):
    torch.set_num_threads(int(threads) if threads else os.cpu_count() or 1)
    torch.manual_seed(seed)
    images = torch.from_numpy(read_idx(f'{data}/train-images-idx3-ubyte', 16).reshape(-1, 784).astype(np.float32) / 255)
    model = {'vae': VAE, 'gmvae': GMVAE, 'ssvae': SSVAE}[kind]()
    if kind == 'ssvae':
        labels = torch.from_numpy(read_idx(f'{data}/train-labels-idx1-ubyte', 8).astype(np.int64))
        rows = torch.cat([(labels == d).nonzero().flatten()[:10] for d in range(10)])
        labelled_x, labelled_y = images[rows], labels[rows]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    i, start = 0, time.time()
    while i < iterations:
        for rows in torch.randperm(60000).split(100):  # DataLoader(shuffle=True, batch_size=100)
            i += 1
            optimizer.zero_grad()
            x = torch.bernoulli(images[rows])
            if kind == 'ssvae':
                loss, kl, rec = model.loss(x, torch.bernoulli(labelled_x), labelled_y)
            else:
                loss, kl, rec = model.negative_elbo_bound(x)
            loss.backward()
            optimizer.step()
            if i % 2000 == 0 or i == 50 or i == iterations:
                print(f'{i} loss {loss.item():.2f} kl {kl.item():.2f} rec {rec.item():.2f} {1000 * (time.time() - start) / i:.2f} ms/step', flush=True)
            if i == iterations:
                break
    torch.save(model.state_dict(), out)

if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], *sys.argv[5:])
