package dev.veilraft.crypto.attestation;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The PEM PCK chain of a TDX quote's certification data type 5 (leaf, PCK CA, root), decoded
 * strictly: a quote is untrusted input, so only what Intel's quoting library emits is accepted.
 * Public so tools (the CLI) can print the chain a quote carries.
 */
public final class TdxPemChain {
  /** Bound on the PEM text: three P-256 certificates are about 3.7 KiB. */
  public static final int PEM_BYTES_MAX = 16 * 1024;
  public static final int CERTIFICATES_MAX = 3;
  private static final String PEM_BEGIN = "-----BEGIN CERTIFICATE-----";
  private static final String PEM_END = "-----END CERTIFICATE-----";

  private TdxPemChain() {}

  /**
   * The DER certificates of a PEM chain as carried in certification data type 5: blocks of
   * "-----BEGIN CERTIFICATE-----" base64 "-----END CERTIFICATE-----", separated only by
   * whitespace, optionally ending in NUL bytes (Intel's quoting library appends one). Strict:
   * anything else, or more than {@value #CERTIFICATES_MAX} certificates, is malformed.
   */
  public static List<byte[]> decode(byte[] pem) throws MalformedReportException {
    if (pem == null || pem.length > PEM_BYTES_MAX) {
      throw malformed("PEM chain is " + (pem == null ? "absent" : pem.length + " bytes") + "; 1 to "
          + PEM_BYTES_MAX + " bytes are accepted");
    }
    int end = pem.length;
    while (end > 0 && pem[end - 1] == 0) {
      end--;
    }
    String text = new String(pem, 0, end, StandardCharsets.ISO_8859_1);
    List<byte[]> certs = new ArrayList<>();
    int at = skipWhitespace(text, 0);
    while (at < text.length()) {
      if (!text.startsWith(PEM_BEGIN, at)) {
        throw malformed("PCK chain has text other than PEM certificates at offset " + at);
      }
      int bodyStart = at + PEM_BEGIN.length();
      int bodyEnd = text.indexOf(PEM_END, bodyStart);
      if (bodyEnd < 0) {
        throw malformed("PCK chain PEM certificate " + certs.size() + " has no END line");
      }
      if (certs.size() == CERTIFICATES_MAX) {
        throw malformed("PCK chain has more than " + CERTIFICATES_MAX + " certificates");
      }
      certs.add(decodeBase64(text.substring(bodyStart, bodyEnd), certs.size()));
      at = skipWhitespace(text, bodyEnd + PEM_END.length());
    }
    if (certs.isEmpty()) {
      throw malformed("PCK chain holds no PEM certificate");
    }
    return List.copyOf(certs);
  }

  private static byte[] decodeBase64(String body, int index) throws MalformedReportException {
    StringBuilder compact = new StringBuilder(body.length());
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (!isWhitespace(c)) {
        compact.append(c);
      }
    }
    try {
      // The basic decoder refuses characters outside the alphabet (the MIME one skips them).
      byte[] der = Base64.getDecoder().decode(compact.toString());
      if (der.length == 0) {
        throw malformed("PCK chain PEM certificate " + index + " is empty");
      }
      return der;
    } catch (IllegalArgumentException e) {
      throw malformed("PCK chain PEM certificate " + index + " is not valid base64");
    }
  }

  private static int skipWhitespace(String text, int from) {
    int at = from;
    while (at < text.length() && isWhitespace(text.charAt(at))) {
      at++;
    }
    return at;
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  private static MalformedReportException malformed(String message) {
    return new MalformedReportException(RejectReason.MALFORMED, message);
  }
}
