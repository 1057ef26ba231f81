"""Benchmark NeuronRegressor and NeuronClassifier against scikit-learn, side by side in one run.

Prints Markdown: a line naming the machine, then one table per scenario, with
absolute times and the ratios that matter (measured in the same run, so that
they survive a noisy, shared machine).

Scenarios
---------
seed     The blog's 50 x 1 problem: cold (compiling) and warm fits.
epochs   Seconds per SGD epoch on 1,000,000 x 100 and 100,000 x 20, against
         one memory pass over X, SGDRegressor and MLPRegressor.
grid     GridSearchCV, 5 folds x 12 candidates: wall time and XLA compilations.
exact    L-BFGS to the OLS answer, against LinearRegression; NIST's certified
         problems, digits against exact rational answers.
hidden   A (64, 64) network's SGD epoch, against MLPRegressor.
classifier  A softmax neuron's SGD epoch and log loss, against SGDClassifier,
         MLPClassifier and LogisticRegression; a grid search's compilations.
startup  import time beyond scikit-learn; a new process's first fit with the
         compilation cache off and on; GridSearchCV(n_jobs=2) after a serial one.
sparse   A 100,000 x 100,000 CSR matrix (0.1 % stored): fit seconds, peak
         memory and held-out R^2, against SGDRegressor and Ridge(sparse_cg).

Usage::

    python benchmarks/run.py [--quick] [--only SCENARIO ...]
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's sknn_neuron

import scenarios
from harness import machine_header, report_to_parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a minute or two")
    parser.add_argument("--only", nargs="+", choices=list(scenarios.SCENARIOS), metavar="SCENARIO",
                        help=f"run only these scenarios: {', '.join(scenarios.SCENARIOS)}")  # fmt: skip
    parser.add_argument("--child", nargs=2, metavar=("TASK", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        task, kwargs = args.child
        report_to_parent(scenarios.CHILDREN[task](**json.loads(kwargs)))
        return

    size = scenarios.SIZES["quick" if args.quick else "full"]
    print(f"# sknn_neuron benchmark ({'quick' if args.quick else 'full'} sizes)\n")
    print(machine_header() + "\n", flush=True)
    for name in args.only or scenarios.SCENARIOS:
        start = time.perf_counter()
        section = scenarios.SCENARIOS[name](size)
        print(section + f"\n\n({name}: {time.perf_counter() - start:.0f} s)\n", flush=True)


if __name__ == "__main__":
    main()
