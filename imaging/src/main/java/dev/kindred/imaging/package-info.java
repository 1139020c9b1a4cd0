/**
 * Image embeddings for the imaging feature space: {@link dev.kindred.imaging.ImageEmbedder} runs the
 * hospital's model, {@link dev.kindred.imaging.DicomWebClient} fetches rendered frames from a PACS, and
 * {@link dev.kindred.imaging.EmbeddingService} ties them together off the caller's thread.
 */
package dev.kindred.imaging;
