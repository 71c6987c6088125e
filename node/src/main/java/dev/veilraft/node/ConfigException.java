package dev.veilraft.node;

/** A configuration file is missing, malformed or invalid; the message names the key and the value. */
public class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
