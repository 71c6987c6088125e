package dev.veilraft.state.app;

/**
 * Read and write access to one app's namespace while it applies a request. Reads see the
 * request's own writes; the writes take effect only if the request is not refused.
 */
public interface AppState extends AppReader {
  void put(byte[] key, byte[] value);

  void delete(byte[] key);
}
