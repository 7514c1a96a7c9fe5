-- Run inside rpm: rpm --eval "%{lua: PAIRS='/path'; dofile('rpm_cmp.lua')}".
-- Reads "a<TAB>b" lines from PAIRS, writes "a<TAB>op<TAB>b" to PAIRS .. ".out" using rpm.vercmp
-- (rpmverCmp over epoch:version-release); op is "!" when rpm rejects a version.
local out = io.open(PAIRS .. ".out", "w")
for line in io.lines(PAIRS) do
  local a, b = line:match("^(.-)\t(.*)$")
  if a then
    local ok, r = pcall(rpm.vercmp, a, b)
    local op = "!"
    if ok then op = (r < 0 and "<") or (r > 0 and ">") or "=" end
    out:write(a, "\t", op, "\t", b, "\n")
  end
end
out:close()
