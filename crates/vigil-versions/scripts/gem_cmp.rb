# Reads "a<TAB>b" lines on stdin, prints "a<TAB>op<TAB>b" using Gem::Version; op is "!" when
# RubyGems rejects either version.
require 'rubygems'
STDIN.each_line do |line|
  a, b = line.chomp.split("\t", 2)
  next if b.nil?
  op = '!'
  if Gem::Version.correct?(a) && Gem::Version.correct?(b)
    c = Gem::Version.new(a) <=> Gem::Version.new(b)
    op = c < 0 ? '<' : (c > 0 ? '>' : '=')
  end
  puts "#{a}\t#{op}\t#{b}"
end
