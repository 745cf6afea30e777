#!/usr/bin/env bash
# Analog compute-in-memory with partial-sum ADCs of 2..8 bits (Li et al. §7.5): TinyConv on
# Fashion-MNIST trained with the accurate analog model, one run per ADC width, one table and plot.
#   scripts/sweep_adc_bits.sh [--jobs N] [more axtrain sweep arguments]
# EPOCHS (default 1) sets the training length; results in results/sweeps/sweep-tinyconv_fmnist_hw.
set -euo pipefail
cd "$(dirname "$0")/.."
build/axtrain sweep configs/tinyconv_fmnist_hw.yaml --set hardware=configs/hw/analog_adc4.yaml \
  --set "phases.0.epochs=${EPOCHS:-1}" --grid hardware.adc_bits=2,3,4,5,6,7,8 --xlabel "ADC bits" "$@"
