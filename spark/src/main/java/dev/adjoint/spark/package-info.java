/**
 * Data-parallel training on Apache Spark, in the pattern of Spark MLlib's own trainers: each step
 * broadcasts the parameters, every partition computes the gradient of its share of the step's
 * global batch, an ordered tree sum brings the gradients to the driver, and the driver's optimizer
 * steps. Any optimizer stays exact: the driver sees the gradient of the whole global batch.
 * {@link dev.adjoint.spark.SparkTrainer} is the entry point.
 */
package dev.adjoint.spark;
