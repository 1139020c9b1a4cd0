/**
 * Benchmarks. Each result written to the README names the machine, the command and a baseline measured in
 * the same run; ratios, not absolute numbers, are what carry over between machines.
 */
package dev.kindred.benchmarks;
