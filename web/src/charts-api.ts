/**
 * What the chart module (charts.ts, bundled on its own as charts.js with uPlot) offers. The page
 * loads it only when the Dashboard tab is shown, so the other tabs never pay for the library;
 * when it cannot load, the tables beside the charts still carry every number.
 */
export interface ChartsModule {
  /** bars of loans per DPD bucket, each labelled with its count */
  drawDpd(el: HTMLElement, buckets: { label: string; loans: number }[]): void;
  /** bars of rupees collected per IST day, the day's amount on hover and in the table */
  drawDaily(el: HTMLElement, days: { date: string; amount: number }[]): void;
}
