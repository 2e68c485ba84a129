package fr.iot.temperature.events;

/**
 * One pass over the bytes of a message that finds a top-level string field, for the shape
 * sensors send: a flat JSON object of plain ASCII keys, strings without escapes, numbers,
 * {@code true}, {@code false} and {@code null}.
 *
 * <p>It answers only when it is sure what a full JSON parser would say; anything else
 * (escapes, non-ASCII bytes, nested values, a token it does not know) is {@link #UNSURE}, and
 * the caller asks the full parser. It exists because creating a JSON parser and a String per
 * message was most of the Kafka source's time.
 */
final class FlatObjectScan {
    /** The answer when the scan cannot decide: ask a full JSON parser. */
    static final String UNSURE = new String("unsure");

    private static final int LONGEST_NUMBER = 32;
    private static final int MAX_INTEGER_DIGITS = 18;

    private final byte[] bytes;
    private int at;

    private FlatObjectScan(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * The value of the last top-level string field named {@code name} (ASCII); null when the
     * message is valid JSON without such a string (the field absent, or not a string) or is
     * certainly not a JSON object; {@link #UNSURE} when only a full parser can tell.
     */
    static String stringField(byte[] bytes, byte[] name) {
        return new FlatObjectScan(bytes).find(name);
    }

    private String find(byte[] name) {
        skipSpace();
        if (at >= bytes.length || bytes[at] != '{') {
            return UNSURE;
        }
        at++;
        skipSpace();
        String found = null;
        if (peek() == '}') {
            at++;
            return end() ? null : UNSURE;
        }
        while (true) {
            int keyStart = at + 1;
            int keyEnd = plainString();
            if (keyEnd < 0) {
                return UNSURE;
            }
            skipSpace();
            if (peek() != ':') {
                return UNSURE;
            }
            at++;
            skipSpace();
            boolean named = sameBytes(keyStart, keyEnd, name);
            if (peek() == '"') {
                int valueStart = at + 1;
                int valueEnd = plainString();
                if (valueEnd < 0) {
                    return UNSURE;
                }
                if (named) {
                    found = new String(bytes, valueStart, valueEnd - valueStart, java.nio.charset.StandardCharsets.US_ASCII);
                }
            } else if (literal() || number()) {
                if (named) {
                    found = null;
                }
            } else {
                return UNSURE;
            }
            skipSpace();
            int next = peek();
            at++;
            if (next == '}') {
                return end() ? found : UNSURE;
            }
            if (next != ',') {
                return UNSURE;
            }
            skipSpace();
        }
    }

    /** At a quote: skips a string of printable ASCII without escapes; the index of its closing quote, or -1. */
    private int plainString() {
        if (peek() != '"') {
            return -1;
        }
        for (int i = at + 1; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b == '"') {
                at = i + 1;
                return i;
            }
            if (b == '\\' || b < 0x20 || b > 0x7e) {
                return -1;
            }
        }
        return -1;
    }

    private boolean literal() {
        for (String word : new String[] {"true", "false", "null"}) {
            if (startsWith(word)) {
                at += word.length();
                return true;
            }
        }
        return false;
    }

    /**
     * JSON's number grammar, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, for the numbers every
     * parser agrees on: long ones (an integer beyond 64 bits, a token past {@link #LONGEST_NUMBER}
     * characters) are left to the full parser, whose limits differ.
     */
    private boolean number() {
        int i = at;
        if (i < bytes.length && bytes[i] == '-') {
            i++;
        }
        if (i < bytes.length && bytes[i] == '0') {
            i++;
        } else if (i < bytes.length && bytes[i] >= '1' && bytes[i] <= '9') {
            i = digits(i);
        } else {
            return false;
        }
        if (i < bytes.length && bytes[i] == '.') {
            int after = digits(i + 1);
            if (after == i + 1) {
                return false;
            }
            i = after;
        }
        if (i < bytes.length && (bytes[i] == 'e' || bytes[i] == 'E')) {
            i++;
            if (i < bytes.length && (bytes[i] == '+' || bytes[i] == '-')) {
                i++;
            }
            int after = digits(i);
            if (after == i) {
                return false;
            }
            i = after;
        }
        int unsigned = bytes[at] == '-' ? at + 1 : at;
        boolean plainInteger = digits(unsigned) == i;
        if (i - at > LONGEST_NUMBER || (plainInteger && i - unsigned > MAX_INTEGER_DIGITS)) {
            return false;
        }
        at = i;
        return true;
    }

    private int digits(int from) {
        int i = from;
        while (i < bytes.length && bytes[i] >= '0' && bytes[i] <= '9') {
            i++;
        }
        return i;
    }

    private boolean startsWith(String word) {
        if (at + word.length() > bytes.length) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            if (bytes[at + i] != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean sameBytes(int from, int to, byte[] name) {
        if (to - from != name.length) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (bytes[from + i] != name[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean end() {
        skipSpace();
        return at == bytes.length;
    }

    private int peek() {
        return at < bytes.length ? bytes[at] : -1;
    }

    private void skipSpace() {
        while (at < bytes.length) {
            byte b = bytes[at];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return;
            }
            at++;
        }
    }
}
