# Bar chart of each model's speed-up over the dense model (same run), with sparse kernels on,
# per batch size. usage:
# gnuplot -e "csv='bench/results/compare_pruned_vgg-small.csv'; out='bench/results/compare_pruned_vgg-small.png'" bench/plot_compare_pruned.gp
set terminal pngcairo size 900,480 noenhanced
set output out
set datafile separator ","
set title "speed-up over the dense model with sinter's sparse kernels (higher is better)"
set ylabel "dense model median / model median"
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top left
set arrow from graph 0, first 1.0 to graph 1, first 1.0 nohead dt 2 lc rgb "black"
plot "< awk -F, 'NR>1 && $2==1 && $3==\"sparse\"' ".csv using 6:xtic(1) title "batch 1" lc rgb "#4477aa", \
     "< awk -F, 'NR>1 && $2==64 && $3==\"sparse\"' ".csv using 6 title "batch 64" lc rgb "#ee6677"
