# Bar chart of sinter's median time relative to ONNX Runtime's, per model and thread count.
# usage: gnuplot -e "csv='bench/results/compare_ort.csv'; out='bench/results/compare_ort.png'" bench/plot_compare.gp
set terminal pngcairo size 900,480 noenhanced
set output out
set datafile separator ","
set title "sinter median time / ONNX Runtime 1.30 median time (batch 1; lower is better)"
set ylabel "ratio"
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top left
set arrow from graph 0, first 1.0 to graph 1, first 1.0 nohead dt 2 lc rgb "black"
plot "< awk -F, 'NR>1 && $2==1' ".csv using 8:xtic(1) title "1 thread" lc rgb "#4477aa", \
     "< awk -F, 'NR>1 && $2==2' ".csv using 8 title "2 threads" lc rgb "#ee6677"
