"""The structure-vs-content study: plans (evalkit/study/plans/), the (perturb -> train -> eval) matrix
of commands (`plan`), and the paper-style table and plot of its results (`report`). The perturbation
kinds themselves live in training/perturb/."""
