"""The centre's levers: benchmarks (树典型), pairing (结对子), gap diagnosis (会诊), progress."""
