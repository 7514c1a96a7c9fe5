// Reads "a<TAB>b" lines on stdin, prints "a<TAB>op<TAB>b" using Maven's ComparableVersion
// (run with the maven-artifact jar on the class path).
import java.io.*;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenCmp {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, "UTF-8"));
        String line;
        while ((line = in.readLine()) != null) {
            int t = line.indexOf('\t');
            if (t < 0) continue;
            String a = line.substring(0, t), b = line.substring(t + 1);
            int c = new ComparableVersion(a).compareTo(new ComparableVersion(b));
            out.println(a + "\t" + (c < 0 ? "<" : c > 0 ? ">" : "=") + "\t" + b);
        }
        out.flush();
    }
}
