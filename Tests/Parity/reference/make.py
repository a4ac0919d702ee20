"""Writes the parity fixtures in Tests/Parity/fixtures from the real Hugging Face code.

What this is: the generator of the numbers that Tests/Parity/*Tests.cs hold the project to. It runs
transformers' PhiForCausalLM, PEFT's DoRA, and TRL's DPO loss (written here from TRL's source, since TRL itself
does not import without pyarrow) on small random models, and saves inputs and outputs as safetensors + JSON.
What it is not: part of the build or CI. CI only reads the committed files.

Run it in the reference environment (transformers 4.47.0.dev0, PEFT 0.14.0, Debian's torch 1.13.1; its setup.sh and
README live in the shared folder beside the repository, /work/shared/reference here), from the repository root:

    bash /work/shared/reference/setup.sh
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=/tmp/pastanoodles-reference/site \
        /usr/bin/python3 Tests/Parity/reference/make.py

Stages: `base` (models, DoRA adapter, logits, training), then the project writes its adapter folder (a dotnet test
run with PASTANOODLES_PARITY_WRITE=1 that trains two DPO steps; make.py starts it unless --no-dotnet), then
`round-trip` (PEFT loads the project's folder and records its logits). `--stage base|round-trip` runs one stage.
"""
import argparse
import json
import os
import subprocess
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers
import peft
from safetensors.torch import load_file, save_file
from transformers import PhiConfig, PhiForCausalLM, get_linear_schedule_with_warmup
from peft import LoraConfig, PeftModel, get_peft_model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO = Path(__file__).resolve().parents[3]
TRL_VERSION = "0.13.0"  # trl/trainer/dpo_trainer.py at tag v0.13.0: concatenated_inputs, concatenated_forward, dpo_loss
VOCAB = 64
PAD = 0

# Three random configs. Vocabularies are small so the committed weights stay small; everything else is as named.
CONFIGS = {
    # The project's built-in `tiny` (Grains/Modeling/Phi/tiny.json): hidden 64, 4 heads of 16, 2 layers, rotary 0.5;
    # intermediate 128 instead of 256 and a 64-token vocabulary, to keep the committed file small.
    "tiny": dict(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_hidden_layers=2,
                 partial_rotary_factor=0.5),
    # partial_rotary_factor 0.4 on head_dim 16: int(6.4) = 6 rotary dims, as HF truncates.
    "rotary04": dict(hidden_size=32, intermediate_size=32, num_attention_heads=2, num_hidden_layers=2,
                     partial_rotary_factor=0.4),
    # Phi-2's head geometry: head_dim 80, 32 rotary dims (one head keeps the file small).
    "headdim80": dict(hidden_size=80, intermediate_size=32, num_attention_heads=1, num_hidden_layers=1,
                      partial_rotary_factor=0.4),
}
SEEDS = {"tiny": 1, "rotary04": 4, "headdim80": 3}  # weight seeds; chosen so greedy decoding does not repeat one token
TRAIN_CONFIG = "tiny"  # DoRA, training and round trip run on this one

# Fixed inputs (token ids < VOCAB). DPO: (prompt, chosen, rejected); MCQA: (prompt, answer index into LETTERS).
IDS = [[5, 17, 42, 8, 61, 33, 2, 60, 51, 14, 48, 23], [40, 3, 57, 19, 52, 9, 26, 30, 11, 45, 47, 1]]
PREFIX = 7
GREEDY_PROMPT = [12, 7, 55, 31, 50]
GREEDY_NEW = 8
DPO_ROWS = [([4, 18, 27, 63], [9, 44, 50], [41, 6, 39, 15]),
            ([50, 12, 7, 58, 3, 61], [22, 35, 57, 10, 54], [28, 36]),
            ([13, 49, 2, 45, 60], [31, 5], [34, 17, 62])]
BETA = 0.1
LETTERS = [20, 21, 22, 23]
MCQA_ROWS = [([7, 33, 58, 14, 50, 25], 2), ([61, 8, 42, 19, 53, 5, 36, 47, 11], 0), ([29, 54, 3, 46, 40, 18, 55], 3)]
ADAMW = dict(lr=5e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
MAX_GRAD_NORM = 1.0


def hf_config(shape):
    return PhiConfig(vocab_size=VOCAB, resid_pdrop=0.1, embd_pdrop=0.0, attention_dropout=0.0, layer_norm_eps=1e-5,
                     rope_theta=10000.0, max_position_embeddings=2048, bos_token_id=None, eos_token_id=None,
                     pad_token_id=PAD, tie_word_embeddings=False, torch_dtype="float32", **shape)


def random_weights(model, seed):
    """Non-trivial weights: unit-scale outputs, non-zero biases, LayerNorm weights around 1. Every value is exactly
    an fp16 number, so the checkpoint is stored in F16 (half the bytes) and still loads to the same fp32 model."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layernorm" in name:
                value = (1 + 0.1 * torch.randn(p.shape, generator=g)) if name.endswith("weight") else 0.05 * torch.randn(p.shape, generator=g)
            elif name.endswith("bias"):
                value = 0.1 * torch.randn(p.shape, generator=g)
            elif "embed_tokens" in name:
                value = torch.randn(p.shape, generator=g)
            else:
                value = torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5
            p.copy_(value.half().float())


def save_hf_folder(model, folder):
    folder.mkdir(parents=True, exist_ok=True)
    model.config.to_json_file(folder / "config.json")
    save_file({k: v.half() for k, v in model.state_dict().items()}, str(folder / "model.safetensors"), metadata={"format": "pt"})


def load(folder, dtype=torch.float32):
    return PhiForCausalLM.from_pretrained(folder, torch_dtype=dtype, attn_implementation="eager").eval()


def base_fixtures(name, shape, seed, manifest):
    folder = FIXTURES / name
    model = PhiForCausalLM(hf_config(shape))
    random_weights(model, seed)
    save_hf_folder(model, folder / "model")
    model = load(folder / "model")
    ids = torch.tensor(IDS)
    with torch.no_grad():
        logits = model(ids).logits
        first = model(ids[:, :PREFIX], use_cache=True)
        rest = model(ids[:, PREFIX:], past_key_values=first.past_key_values, use_cache=True)
        cached = torch.cat([first.logits, rest.logits], 1)
        out = model.generate(torch.tensor([GREEDY_PROMPT]), max_new_tokens=GREEDY_NEW, do_sample=False, pad_token_id=PAD,
                             output_scores=True, return_dict_in_generate=True)
        greedy = out.sequences[0, len(GREEDY_PROMPT):].tolist()
        margin = min((s[0].topk(2).values[0] - s[0].topk(2).values[1]).item() for s in out.scores)
        bf16 = load(folder / "model", torch.bfloat16)(ids).logits.float()
    save_file({"logits": logits, "cached_logits": cached}, str(folder / "expected.safetensors"))
    manifest["models"][name] = {
        "greedy_tokens": greedy,
        "greedy_min_top2_margin": margin,
        "rotary_dims": model.model.layers[0].self_attn.rotary_ndims,
        "reference_bf16_max_abs_vs_fp32": (bf16 - logits).abs().max().item(),
        "logits_max_abs": logits.abs().max().item(),
    }
    return model


def dora(model, seed):
    """PEFT DoRA r 4, alpha 8 on q/k/v/dense with the seed's dropout 0.05, then non-zero lora_B and moved magnitudes."""
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.05, target_modules=["q_proj", "k_proj", "v_proj", "dense"],
                        use_dora=True, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, config)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif "lora_magnitude_vector" in name:
                p.mul_(1 + 0.2 * torch.randn(p.shape, generator=g))
    return peft_model.eval()


def project_name(peft_name):
    """PEFT's parameter name as saved in a folder (and in the project): no adapter name, no '.weight' on magnitudes."""
    name = peft_name.replace(".default", "")
    return name[: -len(".weight")] if name.endswith("lora_magnitude_vector.weight") else name


def adapter_params(peft_model):
    return [(project_name(n), p) for n, p in peft_model.named_parameters() if p.requires_grad]


def dora_fixtures(peft_model, manifest):
    folder = FIXTURES / TRAIN_CONFIG
    peft_model.save_pretrained(folder / "dora")
    (folder / "dora" / "README.md").unlink()  # PEFT's model card template
    # PEFT keeps target_modules in a set, whose order changes from run to run; sorted, a rerun writes the same file.
    config_file = folder / "dora" / "adapter_config.json"
    config = json.loads(config_file.read_text())
    config["target_modules"] = sorted(config["target_modules"])
    config["base_model_name_or_path"] = "pastanoodles/parity-tiny"  # not this machine's path
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True))  # as PEFT's to_json_file writes it
    ids = torch.tensor(IDS)
    layer = peft_model.base_model.model.model.layers[0].self_attn.q_proj
    x = torch.randn(2, 5, layer.in_features, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        unmerged = peft_model(ids).logits
        q_out = layer(x)
        with peft_model.disable_adapter():
            disabled = peft_model(ids).logits
        peft_model.merge_adapter()
        merged = peft_model(ids).logits
        peft_model.unmerge_adapter()
    save_file({"logits": unmerged, "logits_merged": merged, "layer_input": x, "q_proj_output": q_out},
              str(folder / "dora_expected.safetensors"))
    with torch.no_grad():  # the same folder on a bf16 base (PEFT keeps the adapter in fp32: autocast_adapter_dtype)
        bf16 = PeftModel.from_pretrained(load(folder / "model", torch.bfloat16), folder / "dora").eval()(ids).logits.float()
    manifest["dora"] = {"folder": f"{TRAIN_CONFIG}/dora", "layer": "model.layers.0.self_attn.q_proj",
                        "max_abs_vs_adapters_off": (unmerged - disabled).abs().max().item(),
                        "max_abs_merged_vs_unmerged": (merged - unmerged).abs().max().item(),
                        "reference_bf16_max_abs_vs_fp32": (bf16 - unmerged).abs().max().item()}


def pad(rows, value, left=False):
    width = max(len(r) for r in rows)
    return torch.tensor([([value] * (width - len(r)) + r) if left else (r + [value] * (width - len(r))) for r in rows])


def concatenated_forward(model, prompts, chosen, rejected):
    """TRL 0.13.0 DPOTrainer.concatenated_inputs + concatenated_forward (decoder-only branch), line for line."""
    prompt_ids = pad(prompts + prompts, PAD, left=True)
    prompt_mask = pad([[1] * len(p) for p in prompts + prompts], 0, left=True)
    completions = chosen + rejected
    completion_ids = pad(completions, PAD)
    completion_mask = pad([[1] * len(c) for c in completions], 0)
    input_ids = torch.cat((prompt_ids, completion_ids), dim=1)
    attention_mask = torch.cat((prompt_mask, completion_mask), dim=1)
    loss_mask = torch.cat((torch.zeros_like(prompt_mask), completion_mask), dim=1)
    for i in range(attention_mask.size(0)):  # flush left
        first = torch.nonzero(attention_mask[i])[0].item()
        input_ids[i] = torch.roll(input_ids[i], shifts=-first)
        attention_mask[i] = torch.roll(attention_mask[i], shifts=-first)
        loss_mask[i] = torch.roll(loss_mask[i], shifts=-first)
    empty = torch.sum(attention_mask, dim=0) == 0
    end = torch.nonzero(empty)[0].item() if empty.any() else attention_mask.size(1)
    input_ids, attention_mask, loss_mask = input_ids[:, :end], attention_mask[:, :end], loss_mask[:, :end]
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1, :]
    labels = input_ids[:, 1:].clone()
    loss_mask = loss_mask[:, 1:].bool()
    labels[~loss_mask] = 0
    per_token_logps = torch.gather(logits.log_softmax(-1), dim=2, index=labels.unsqueeze(2)).squeeze(2)
    per_token_logps[~loss_mask] = 0
    all_logps = per_token_logps.sum(-1)
    n = len(prompts)
    return all_logps[:n], all_logps[n:]


def dpo_loss(peft_model):
    """TRL 0.13.0 get_batch_loss_metrics with loss_type sigmoid, label_smoothing 0, reference = adapters disabled."""
    prompts, chosen, rejected = (list(map(list, col)) for col in zip(*DPO_ROWS))
    policy_chosen, policy_rejected = concatenated_forward(peft_model, prompts, chosen, rejected)
    with torch.no_grad(), peft_model.disable_adapter():  # compute_ref_log_probs under null_ref_context
        ref_chosen, ref_rejected = concatenated_forward(peft_model, prompts, chosen, rejected)
    chosen_logratios = policy_chosen - ref_chosen
    rejected_logratios = policy_rejected - ref_rejected
    logits = chosen_logratios - rejected_logratios
    losses = -F.logsigmoid(BETA * logits)
    chosen_rewards = (BETA * chosen_logratios).detach()
    rejected_rewards = (BETA * rejected_logratios).detach()
    return losses.mean(), {"rewards/chosen": chosen_rewards.tolist(), "rewards/rejected": rejected_rewards.tolist(),
                           "logps/chosen": policy_chosen.tolist(), "logps/rejected": policy_rejected.tolist(),
                           "ref_logps/chosen": ref_chosen.tolist(), "ref_logps/rejected": ref_rejected.tolist()}


def mcqa_loss(peft_model):
    """The project's McqaTask loss (Grains/Training/McqaTask.cs): prompts right-padded, cross-entropy over the full
    vocabulary of the answer letter's token at each prompt's last position, mean over the batch."""
    prompts = [p for p, _ in MCQA_ROWS]
    ids = pad(prompts, PAD)
    mask = pad([[1] * len(p) for p in prompts], 0)
    logits = peft_model(input_ids=ids, attention_mask=mask).logits
    last = torch.tensor([len(p) - 1 for p in prompts])
    targets = torch.tensor([LETTERS[a] for _, a in MCQA_ROWS])
    return F.cross_entropy(logits[torch.arange(len(prompts)), last], targets), {}


def training_fixtures(model_folder, adapter_folder, name, loss_fn, manifest):
    """Two optimizer steps on the same batch, as HF Trainer runs them with max_steps 2: TRL's disable_dropout,
    backward, clip at 1.0, torch AdamW, linear schedule without warmup (lr 5e-5, then 2.5e-5)."""
    model = load(model_folder)
    peft_model = PeftModel.from_pretrained(model, adapter_folder, is_trainable=True)
    peft_model.train()
    for module in peft_model.modules():  # trl.trainer.utils.disable_dropout_in_model
        if isinstance(module, torch.nn.Dropout):
            module.p = 0
    params = adapter_params(peft_model)
    optimizer = torch.optim.AdamW([p for _, p in params], **ADAMW)
    scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=0, num_training_steps=2)
    tensors, norms = {}, []
    for step in (1, 2):
        loss, metrics = loss_fn(peft_model)
        loss.backward()
        if step == 1:
            tensors.update({f"grad.{n}": p.grad.detach().clone() for n, p in params})
            manifest[name] = {"loss": loss.item(), **metrics}
        norms.append(torch.nn.utils.clip_grad_norm_([p for _, p in params], MAX_GRAD_NORM).item())
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        tensors.update({f"step{step}.{n}": p.detach().clone() for n, p in params})
    # Adam's first moment after both steps holds the clipped gradients (0.09·c1·g1 + 0.1·c2·g2): the adapter itself
    # hardly shows the clipping, since Adam's update does not depend on a scale that both steps share.
    tensors.update({f"exp_avg.{n}": optimizer.state[p]["exp_avg"].clone() for n, p in params})
    save_file(tensors, str(FIXTURES / TRAIN_CONFIG / f"{name}.safetensors"))
    manifest[name]["grad_norms"] = norms


def base_stage():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    manifest = {
        "generated_by": "Tests/Parity/reference/make.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                     "trl_source_followed": TRL_VERSION},
        "vocab_size": VOCAB, "pad": PAD, "ids": IDS, "prefix": PREFIX, "greedy_prompt": GREEDY_PROMPT,
        "greedy_new_tokens": GREEDY_NEW, "beta": BETA, "dpo_rows": DPO_ROWS, "letters": LETTERS, "mcqa_rows": MCQA_ROWS,
        "adamw": {**ADAMW, "max_grad_norm": MAX_GRAD_NORM}, "models": {},
    }
    for name, shape in CONFIGS.items():
        model = base_fixtures(name, shape, SEEDS[name], manifest)
        if name == TRAIN_CONFIG:
            dora_fixtures(dora(model, seed=100), manifest)
    folder = FIXTURES / TRAIN_CONFIG
    training_fixtures(folder / "model", folder / "dora", "dpo", dpo_loss, manifest)
    training_fixtures(folder / "model", folder / "dora", "mcqa", mcqa_loss, manifest)
    write_manifest(manifest)


def round_trip_stage():
    """PEFT loads the adapter folder the project wrote (the final_adapter of its two DPO steps) and records its logits."""
    folder = FIXTURES / TRAIN_CONFIG
    peft_model = PeftModel.from_pretrained(load(folder / "model"), folder / "project_adapter").eval()
    with torch.no_grad():
        logits = peft_model(torch.tensor(IDS)).logits
    save_file({"logits": logits}, str(folder / "project_adapter_peft.safetensors"))
    initial = load_file(str(folder / "dora_expected.safetensors"))["logits"]
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    manifest["round_trip"] = {"folder": f"{TRAIN_CONFIG}/project_adapter", "trainable_parameters":
                              sum(p.numel() for n, p in peft_model.named_parameters() if "lora_" in n),
                              "max_abs_vs_dora_before_training": (logits - initial).abs().max().item()}
    write_manifest(manifest)


def write_manifest(manifest):
    (FIXTURES / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def project_writes_adapter():
    env = {**os.environ, "PASTANOODLES_PARITY_WRITE": "1"}
    subprocess.run(["dotnet", "test", "Tests", "--filter", "FullyQualifiedName~TrainingParityTests"],
                   cwd=REPO, env=env, check=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["base", "round-trip"], help="run one stage only")
    parser.add_argument("--no-dotnet", action="store_true", help="skip the project's step between the stages")
    args = parser.parse_args()
    torch.manual_seed(0)
    transformers.generation.utils.is_fsdp_managed_module = lambda m: False  # torch 1.13 on Python 3.11: no FSDP import
    if args.stage in (None, "base"):
        base_stage()
    if args.stage is None and not args.no_dotnet:
        project_writes_adapter()
    if args.stage in (None, "round-trip"):
        round_trip_stage()
